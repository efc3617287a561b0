"""Incidents (故障记录): open → mitigated → resolved → closed, and the post-mortem clock.

* :func:`incident_open` records an incident (optionally the alert that triggered it);
* :func:`incident_note_add` adds to its timeline (actions taken, findings);
* :func:`incident_mitigate` / :func:`incident_resolve` move it on; resolving starts the
  ``monitoring.incident_report`` SLA clock (``sla.monitoring_incident_report_hours``,
  24 h by default: seed 000 §三(二)3 — 故障分析报告 within 24 hours);
* :func:`incident_report_submit` records the 故障分析报告 (cause, analysis,
  improvements) and stops the clock (met, or breached when late);
* :func:`incident_close` is the review: only with a report submitted.

Each step is audited (the status moves through the kernel's transition helper) and
appends a line to the timeline, so the record reads as what happened, in order.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mall.core.audit import audit, snapshot
from mall.core.transitions import transition
from ops.services.sla import sla_clock_start, sla_clock_stop

from .. import permissions as perms
from ..exceptions import IncidentStateConflict, InvalidMonitoringInput, MonitoringPermissionDenied
from ..models import Alert, Incident, IncidentNote, Severity
from ..parameters import INCIDENT_REPORT_KIND
from . import transitions  # noqa: F401 - registers the status tables

TEXT_MAX = 5000


def _require(actor, permission: str) -> None:
    if not actor.has_perm(permission):
        raise MonitoringPermissionDenied()


def _text(value, field: str, problems: dict, *, required: bool = True, limit: int = TEXT_MAX):
    text = (value or "").strip()
    if required and not text:
        problems[field] = [gettext("This field is required.")]
    elif len(text) > limit:
        problems[field] = [gettext("At most %(max)s characters.") % {"max": limit}]
    return text


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _timeline(actor, incident: Incident, body: str) -> IncidentNote:
    return IncidentNote.objects.create(incident=incident, author=actor, body=body)


def incident_open(
    *,
    actor,
    title: str,
    severity: str,
    started_at: datetime,
    impact: str = "",
    alert: Alert | None = None,
) -> Incident:
    """Record an incident that started at ``started_at`` (not in the future).

    Needs ``monitoring.add_incident``. Raises ``MonitoringPermissionDenied`` and
    ``InvalidMonitoringInput``. Audited as ``monitoring.incident_open``.
    """
    _require(actor, perms.ADD_INCIDENT)
    problems: dict[str, list[str]] = {}
    title = _text(title, "title", problems, limit=200)
    impact = _text(impact, "impact", problems, required=False)
    if severity not in Severity.values:
        problems["severity"] = [gettext("Choose a severity.")]
    if started_at is None or started_at > timezone.now():
        problems["started_at"] = [gettext("Enter a start time that is not in the future.")]
    if problems:
        raise InvalidMonitoringInput(fields=problems)
    from orders.numbers import unique_number

    with transaction.atomic():
        incident = unique_number(
            "GZ",
            lambda number: Incident.objects.create(
                incident_no=number,
                title=title,
                severity=severity,
                status=Incident.Status.OPEN,
                started_at=started_at,
                impact=impact,
                alert=alert,
                reported_by=actor,
            ),
        )
        audit(
            actor=actor,
            action="monitoring.incident_open",
            target=incident,
            after=snapshot(incident),
        )
    return incident


def incident_note_add(*, actor, incident: Incident, body: str) -> IncidentNote:
    """Add an entry to the incident's timeline (an action taken, a finding).

    Needs ``monitoring.change_incident``; refused on a closed incident
    (``IncidentStateConflict``). Audited as ``monitoring.incident_note``.
    """
    _require(actor, perms.CHANGE_INCIDENT)
    problems: dict[str, list[str]] = {}
    body = _text(body, "note", problems)
    if problems:
        raise InvalidMonitoringInput(fields=problems)
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status == Incident.Status.CLOSED:
            raise IncidentStateConflict()
        note = _timeline(actor, incident, body)
        audit(
            actor=actor,
            action="monitoring.incident_note",
            target=incident,
            data={"note_id": note.pk, "length": len(body)},
        )
    return note


def incident_mitigate(*, actor, incident: Incident, note: str) -> Incident:
    """Mark the incident mitigated (the impact is contained; the cause may remain).

    Needs ``monitoring.change_incident``. Raises ``InvalidTransition`` unless open.
    Audited as ``monitoring.incident_mitigate``; ``note`` goes on the timeline.
    """
    _require(actor, perms.CHANGE_INCIDENT)
    problems: dict[str, list[str]] = {}
    note = _text(note, "note", problems)
    if problems:
        raise InvalidMonitoringInput(fields=problems)
    with transaction.atomic():
        incident = _locked(incident)
        transition(
            incident, Incident.Status.MITIGATED, actor=actor, action="monitoring.incident_mitigate"
        )
        _timeline(actor, incident, note)
    return incident


def incident_resolve(
    *, actor, incident: Incident, resolution: str, ended_at: datetime | None = None
) -> Incident:
    """Resolve the incident: it ended at ``ended_at`` (default now), fixed as ``resolution``.

    Needs ``monitoring.change_incident``. Starts the post-mortem clock
    (``monitoring.incident_report``, due ``sla.monitoring_incident_report_hours`` after
    now). Raises ``InvalidMonitoringInput`` (no resolution, end before the start or in
    the future) and ``InvalidTransition``. Audited as ``monitoring.incident_resolve``.
    """
    _require(actor, perms.CHANGE_INCIDENT)
    now = timezone.now()
    ended_at = ended_at or now
    problems: dict[str, list[str]] = {}
    resolution = _text(resolution, "resolution", problems)
    with transaction.atomic():
        incident = _locked(incident)
        if ended_at > now or ended_at < incident.started_at:
            problems["ended_at"] = [gettext("Enter an end time between the start and now.")]
        if problems:
            raise InvalidMonitoringInput(fields=problems)
        transition(
            incident,
            Incident.Status.RESOLVED,
            actor=actor,
            action="monitoring.incident_resolve",
            ended_at=ended_at,
            resolution=resolution,
            resolved_at=now,
        )
        _timeline(actor, incident, resolution)
        sla_clock_start(
            actor=actor, kind=INCIDENT_REPORT_KIND, subject=incident, started_at=now, owner=actor
        )
    return incident


def incident_report_submit(
    *, actor, incident: Incident, cause: str, analysis: str, improvements: str
) -> Incident:
    """Record the 故障分析报告 of a resolved incident and stop its clock.

    Needs ``monitoring.submit_incident_report``. May be submitted again (corrected)
    until the incident is closed; the clock stops at the first submission (``met``, or
    ``breached`` when past due). Raises ``IncidentStateConflict`` unless resolved.
    Audited as ``monitoring.incident_report_submit``.
    """
    _require(actor, perms.SUBMIT_REPORT)
    problems: dict[str, list[str]] = {}
    cause = _text(cause, "cause", problems)
    analysis = _text(analysis, "analysis", problems)
    improvements = _text(improvements, "improvements", problems)
    if problems:
        raise InvalidMonitoringInput(fields=problems)
    fields = ["report_cause", "report_analysis", "report_improvements"]
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status != Incident.Status.RESOLVED:
            raise IncidentStateConflict()
        before = snapshot(incident, [*fields, "report_submitted_at", "report_submitted_by_id"])
        incident.report_cause, incident.report_analysis = cause, analysis
        incident.report_improvements = improvements
        incident.report_submitted_at = timezone.now()
        incident.report_submitted_by = actor
        incident.save(
            update_fields=[*fields, "report_submitted_at", "report_submitted_by", "updated_at"]
        )
        audit(
            actor=actor,
            action="monitoring.incident_report_submit",
            target=incident,
            before=before,
            after=snapshot(incident, [*fields, "report_submitted_at", "report_submitted_by_id"]),
        )
        _timeline(actor, incident, gettext("Incident analysis report submitted."))
        sla_clock_stop(actor=actor, kind=INCIDENT_REPORT_KIND, subject=incident, outcome="met")
    return incident


def incident_close(*, actor, incident: Incident) -> Incident:
    """Close a resolved incident after reviewing its report (复盘).

    Needs ``monitoring.close_incident``. Raises ``IncidentStateConflict`` when no report
    was submitted and ``InvalidTransition`` unless resolved. Audited as
    ``monitoring.incident_close``.
    """
    _require(actor, perms.CLOSE_INCIDENT)
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status == Incident.Status.RESOLVED and incident.report_submitted_at is None:
            raise IncidentStateConflict(
                gettext("Submit the incident analysis report before closing the incident.")
            )
        transition(
            incident,
            Incident.Status.CLOSED,
            actor=actor,
            action="monitoring.incident_close",
            closed_at=timezone.now(),
            closed_by=actor,
        )
        _timeline(actor, incident, gettext("Reviewed and closed."))
    return incident
