"""Reads of ops served to a person: always scoped, always permission-checked."""

from __future__ import annotations

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from mall.core.exceptions import NotFound
from mall.core.scoping import scope_queryset

from .models import ParameterChangeRequest, SlaClock
from .services.parameters import parameter_change_request_list


def sla_clock_list(*, actor) -> QuerySet[SlaClock]:
    """Return the SLA clocks ``actor`` may see (``ops.view_slaclock`` + data scope).

    Scope: by the clock's sales region (``regions`` roles), by its owner (``self``),
    everything for ``all``; clocks without a region are visible to ``all`` scopes and
    their owner only.
    """
    if not actor.has_perm("ops.view_slaclock"):
        return SlaClock.objects.none()
    return scope_queryset(actor, SlaClock.objects.select_related("subject_type", "region", "owner"))


def sla_clock_get(*, actor, pk) -> SlaClock:
    """Return one clock in ``actor``'s scope; ``NotFound`` when missing or out of scope."""
    try:
        return sla_clock_list(actor=actor).get(pk=int(pk))
    except (SlaClock.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def sla_board(*, actor) -> list[dict]:
    """Return running clocks per kind: how many, how many overdue, the earliest deadline.

    One grouped query over the actor's scope; overdue = breached or past due now.
    """
    now = timezone.now()
    overdue = Q(status=SlaClock.Status.BREACHED) | Q(due_at__lt=now)
    rows = (
        sla_clock_list(actor=actor)
        .filter(closed_at__isnull=True)
        .order_by()
        .values("kind")
        .annotate(running=Count("id"), overdue=Count("id", filter=overdue), next_due=Min("due_at"))
        .order_by("-overdue", "kind")
    )
    return list(rows)


def parameter_change_request_get(*, actor, pk) -> ParameterChangeRequest:
    try:
        return parameter_change_request_list(actor=actor).get(pk=int(pk))
    except (ParameterChangeRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
