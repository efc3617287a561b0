"""Permission codenames of monitoring (declared once; services and views read these)."""

from __future__ import annotations

VIEW_READING = "monitoring.view_metricreading"
VIEW_RULE = "monitoring.view_alertrule"
CHANGE_RULE = "monitoring.change_alertrule"  # thresholds, recipients, on/off (tech lead)
VIEW_ALERT = "monitoring.view_alert"
RECEIVE_ALERTS = "monitoring.receive_alerts"  # on call when a rule names nobody
VIEW_INCIDENT = "monitoring.view_incident"
ADD_INCIDENT = "monitoring.add_incident"
CHANGE_INCIDENT = "monitoring.change_incident"  # notes, mitigate, resolve
SUBMIT_REPORT = "monitoring.submit_incident_report"
CLOSE_INCIDENT = "monitoring.close_incident"
VIEW_ANNOUNCEMENT = "monitoring.view_announcement"
ADD_ANNOUNCEMENT = "monitoring.add_announcement"
CHANGE_ANNOUNCEMENT = "monitoring.change_announcement"
