"""Every read of monitoring served to a person (or a job).

Rules, alerts, readings and incidents are mall-wide operations data: declared unscoped
(function permission only) and read through ``visible_rows``, so a storefront member
never reads them. Announcements are read two ways: the management list (function
permission) and :func:`announcement_feed` — what one staff member is shown: published,
not expired, for all staff or for a role they hold.

``*_get`` raise a ``NotFound`` subclass for a missing row and a malformed key alike.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from mall.core.api import parse_pk
from mall.core.scoping import visible_rows

from .exceptions import AnnouncementNotFound, IncidentNotFound
from .models import Alert, AlertRule, Announcement, Incident, IncidentNote, MetricReading
from .parameters import INCIDENT_REPORT_KIND

NUMBER_MAX = 24


def _visible(actor, queryset: QuerySet) -> QuerySet:
    return visible_rows(actor, queryset, member_path=None)


def metric_reading_list(*, actor) -> QuerySet[MetricReading]:
    """The last reading of each metric, by code."""
    return _visible(actor, MetricReading.objects.all()).order_by("code")


def alert_rule_list(*, actor) -> QuerySet[AlertRule]:
    """Alert rules, by code."""
    return _visible(
        actor,
        AlertRule.objects.select_related("recipient_role").prefetch_related("recipient_users"),
    ).order_by("code")


def alert_list(*, actor) -> QuerySet[Alert]:
    """Alerts, newest first."""
    return _visible(actor, Alert.objects.select_related("rule")).order_by("-id")


def alerts_firing(*, actor) -> QuerySet[Alert]:
    """Alerts firing now."""
    return alert_list(actor=actor).filter(status=Alert.Status.FIRING)


def incident_list(*, actor) -> QuerySet[Incident]:
    """Incidents, newest first."""
    return _visible(actor, Incident.objects.select_related("alert__rule", "reported_by")).order_by(
        "-id"
    )


def incident_get(*, actor, incident_no: str) -> Incident:
    """The incident numbered ``incident_no``; ``IncidentNotFound`` when none is visible."""
    number = str(incident_no or "").strip()
    if not number or len(number) > NUMBER_MAX:
        raise IncidentNotFound()
    incident = incident_list(actor=actor).filter(incident_no=number).first()
    if incident is None:
        raise IncidentNotFound()
    return incident


def incident_notes(*, actor, incident: Incident) -> QuerySet[IncidentNote]:
    """The timeline of a visible incident, oldest first."""
    visible = incident_list(actor=actor).filter(pk=incident.pk)
    return IncidentNote.objects.filter(incident__in=visible).select_related("author")


def incidents_report_overdue(*, actor, now: datetime | None = None) -> QuerySet[Incident]:
    """Resolved incidents whose 故障分析报告 is past its due time and still missing."""
    from ops.models import SlaClock

    now = now or timezone.now()
    late = SlaClock.objects.filter(
        kind=INCIDENT_REPORT_KIND,
        subject_type=ContentType.objects.get_for_model(Incident),
        subject_id=Cast(OuterRef("pk"), CharField()),
        closed_at__isnull=True,
        due_at__lt=now,
    )
    return incident_list(actor=actor).filter(
        Exists(late), status=Incident.Status.RESOLVED, report_submitted_at__isnull=True
    )


def announcement_list(*, actor) -> QuerySet[Announcement]:
    """Every announcement (the management list), newest first."""
    return _visible(
        actor, Announcement.objects.select_related("created_by").prefetch_related("roles")
    ).order_by("-publish_at", "-id")


def announcement_get(*, actor, pk) -> Announcement:
    """One announcement of the management list; ``AnnouncementNotFound`` otherwise."""
    key = parse_pk(pk)
    row = announcement_list(actor=actor).filter(pk=key).first() if key is not None else None
    if row is None:
        raise AnnouncementNotFound()
    return row


def announcement_feed(*, actor, now: datetime | None = None) -> QuerySet[Announcement]:
    """The announcements shown to ``actor`` now: published, not expired, for them.

    For them = for all staff, or for an active role whose group ``actor`` belongs to.
    Members and inactive or non-staff users get none.
    """
    if not getattr(actor, "is_staff", False) or not getattr(actor, "is_active", False):
        return Announcement.objects.none()
    now = now or timezone.now()
    from rbac.models import Role

    held = Role.objects.filter(is_active=True, group__user=actor)
    return (
        Announcement.objects.filter(publish_at__lte=now)
        .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        .filter(Q(is_for_all_staff=True) | Q(roles__in=held))
        .distinct()
        .order_by("-publish_at", "-id")
    )
