"""Reads of members' RFM results served to a person (or a job); always scoped.

Every selector starts from the members ``actor`` may see (``members.selectors``): a
regional user counts and lists only their region's members; the system actor all.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import Member, MemberRfm, RfmSegment
from .selectors import member_list


def member_rfm_list(*, actor) -> QuerySet[Member]:
    """Members ``actor`` may see who have an RFM result, with it (``member.rfm``)."""
    return member_list(actor=actor).filter(rfm__isnull=False).select_related("rfm")


def rfm_segment_distribution(*, actor) -> list[tuple[str, int]]:
    """Members per RFM segment in ``actor``'s scope, in the segments' order (all eight,
    zero included); members without a segment (no order this window) are not counted."""
    counts = dict(
        MemberRfm.objects.filter(member__in=member_list(actor=actor).select_related(None))
        .exclude(segment="")
        .order_by()
        .values_list("segment")
        .annotate(total=Count("pk"))
        .values_list("segment", "total")
    )
    return [(segment, counts.get(segment, 0)) for segment in RfmSegment.values]


def member_level_distribution(*, actor) -> list[tuple[str, int]]:
    """Members per level in ``actor``'s scope, lowest level first (levels without
    members count 0)."""
    from .models import Level

    counts = dict(
        member_list(actor=actor)
        .select_related(None)
        .order_by()
        .values_list("level")
        .annotate(total=Count("pk"))
        .values_list("level", "total")
    )
    return [(level.name, counts.get(level.pk, 0)) for level in Level.objects.order_by("rank")]
