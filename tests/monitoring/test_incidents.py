"""Incidents: open → mitigated → resolved → closed, the timeline, and the 故障分析报告
clock (opened on resolve, closed on the report, breached when late)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from mall.core.transitions import InvalidTransition
from ops.models import AuditEntry, SlaClock
from ops.monitoring.exceptions import (
    IncidentStateConflict,
    InvalidMonitoringInput,
    MonitoringPermissionDenied,
)
from ops.monitoring.models import Incident
from ops.monitoring.selectors import incidents_report_overdue
from ops.monitoring.services.incidents import (
    incident_close,
    incident_mitigate,
    incident_note_add,
    incident_open,
    incident_report_submit,
    incident_resolve,
)
from ops.services.sla import sla_scan

pytestmark = pytest.mark.django_db

REPORT = {"cause": "交换机故障", "analysis": "单入口", "improvements": "双入口"}


def _clock(incident) -> SlaClock | None:
    return (
        SlaClock.objects.filter(
            kind="monitoring.incident_report",
            subject_type=ContentType.objects.get_for_model(Incident),
            subject_id=str(incident.pk),
        )
        .order_by("-id")
        .first()
    )


def test_an_incident_goes_through_every_step_and_each_is_audited(tech_lead, open_incident):
    incident = open_incident
    assert incident.incident_no.startswith("GZ") and incident.status == "open"
    incident_note_add(actor=tech_lead, incident=incident, body="5 分钟内响应，开始排查")
    incident = incident_mitigate(actor=tech_lead, incident=incident, note="切到备用节点")
    assert incident.status == Incident.Status.MITIGATED
    incident = incident_resolve(actor=tech_lead, incident=incident, resolution="重启网关")
    assert incident.status == Incident.Status.RESOLVED and incident.ended_at is not None
    incident = incident_report_submit(actor=tech_lead, incident=incident, **REPORT)
    incident = incident_close(actor=tech_lead, incident=incident)
    assert incident.status == Incident.Status.CLOSED and incident.closed_by == tech_lead
    actions = list(
        AuditEntry.objects.filter(object_type="monitoring.incident")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "monitoring.incident_open",
        "monitoring.incident_note",
        "monitoring.incident_mitigate",
        "monitoring.incident_resolve",
        "monitoring.incident_report_submit",
        "monitoring.incident_close",
    ]
    assert [note.body for note in incident.notes.all()][:3] == [
        "5 分钟内响应，开始排查",
        "切到备用节点",
        "重启网关",
    ]


def test_resolving_starts_the_report_clock_due_in_24_hours(tech_lead, open_incident):
    incident = incident_resolve(actor=tech_lead, incident=open_incident, resolution="修复")
    clock = _clock(incident)
    assert clock is not None and clock.status == SlaClock.Status.OPEN
    assert clock.due_at - clock.started_at == timedelta(hours=24)


def test_submitting_the_report_closes_the_clock_as_met(tech_lead, open_incident):
    incident = incident_resolve(actor=tech_lead, incident=open_incident, resolution="修复")
    incident_report_submit(actor=tech_lead, incident=incident, **REPORT)
    clock = _clock(incident)
    assert clock.status == SlaClock.Status.MET and clock.closed_at is not None


def test_a_report_not_submitted_in_time_is_breached_and_listed_overdue(
    actor, tech_lead, open_incident
):
    incident = incident_resolve(actor=tech_lead, incident=open_incident, resolution="修复")
    later = timezone.now() + timedelta(hours=25)
    sla_scan(actor=actor, now=later)
    assert _clock(incident).status == SlaClock.Status.BREACHED
    assert list(incidents_report_overdue(actor=tech_lead, now=later)) == [incident]
    incident_report_submit(actor=tech_lead, incident=incident, **REPORT)
    assert _clock(incident).status == SlaClock.Status.BREACHED  # late stays late
    assert not incidents_report_overdue(actor=tech_lead, now=later).exists()


def test_an_incident_cannot_be_closed_before_its_report(tech_lead, open_incident):
    incident = incident_resolve(actor=tech_lead, incident=open_incident, resolution="修复")
    before = AuditEntry.objects.count()
    with pytest.raises(IncidentStateConflict):
        incident_close(actor=tech_lead, incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert AuditEntry.objects.count() == before


def test_an_open_incident_cannot_be_closed_or_reported(tech_lead, open_incident):
    with pytest.raises(InvalidTransition):
        incident_close(actor=tech_lead, incident=open_incident)
    with pytest.raises(IncidentStateConflict):
        incident_report_submit(actor=tech_lead, incident=open_incident, **REPORT)


def test_a_resolution_must_end_after_the_start_and_not_in_the_future(tech_lead, open_incident):
    with pytest.raises(InvalidMonitoringInput) as error:
        incident_resolve(
            actor=tech_lead,
            incident=open_incident,
            resolution="修复",
            ended_at=open_incident.started_at - timedelta(minutes=1),
        )
    assert "ended_at" in error.value.fields
    open_incident.refresh_from_db()
    assert open_incident.status == Incident.Status.OPEN
    assert _clock(open_incident) is None


def test_an_incident_cannot_start_in_the_future(tech_lead):
    with pytest.raises(InvalidMonitoringInput):
        incident_open(
            actor=tech_lead,
            title="未来",
            severity="minor",
            started_at=timezone.now() + timedelta(hours=1),
        )
    assert not Incident.objects.exists()


def test_the_ops_lead_reads_incidents_but_cannot_record_or_work_them(ops_lead, open_incident):
    with pytest.raises(MonitoringPermissionDenied):
        incident_open(actor=ops_lead, title="x", severity="minor", started_at=timezone.now())
    with pytest.raises(MonitoringPermissionDenied):
        incident_note_add(actor=ops_lead, incident=open_incident, body="我来看看")
    assert open_incident.notes.count() == 0
