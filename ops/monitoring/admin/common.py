"""Shared pieces of the monitoring admin: colours and times in words."""

from __future__ import annotations

from django.utils import formats, timezone

from ..models import Alert, Incident, Severity

SEVERITY_COLOURS = {
    Severity.CRITICAL: "danger",
    Severity.MAJOR: "warning",
    Severity.MINOR: "info",
}
ALERT_COLOURS = {Alert.Status.FIRING: "danger", Alert.Status.RESOLVED: "success"}
INCIDENT_COLOURS = {
    Incident.Status.OPEN: "danger",
    Incident.Status.MITIGATED: "warning",
    Incident.Status.RESOLVED: "info",
    Incident.Status.CLOSED: "success",
}


def when(value) -> str:
    if not value:
        return "—"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def number(value) -> str:
    return "—" if value is None else f"{value:g}"
