"""System parameters of monitoring and the SLA kind of the incident post-mortem.

Alert thresholds are not parameters: they live on the rules (``AlertRule``), edited by
the tech lead and audited (docs/MONITORING.md "Thresholds").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ops.parameters import INT, register_parameter
from ops.sla_kinds import register_sla_kind

INCIDENT_REPORT_HOURS = "sla.monitoring_incident_report_hours"
INCIDENT_REPORT_KIND = "monitoring.incident_report"
ALERT_CLEAR_MINUTES = "monitoring.alert_clear_minutes"

register_parameter(
    INCIDENT_REPORT_HOURS,
    kind=INT,
    default=24,
    minimum=1,
    maximum=720,
    description=_("Submit the incident analysis report within (hours after resolution)"),
)
register_parameter(
    ALERT_CLEAR_MINUTES,
    kind=INT,
    default=5,
    minimum=0,
    maximum=120,
    description=_(
        "Resolve a firing alert once its condition has been clear for (minutes): a "
        "flapping metric keeps one alert and one notice"
    ),
)
register_sla_kind(
    INCIDENT_REPORT_KIND,
    label=_("Incident analysis report"),
    parameter=INCIDENT_REPORT_HOURS,
    unit="hours",
)
