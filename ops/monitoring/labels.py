"""Chinese labels of the codes monitoring writes (collected by ``mall.core.labels``)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "monitoring.rule_install": _("Default alert rule installed"),
    "monitoring.rule_update": _("Alert rule changed"),
    "monitoring.alert_fire": _("Monitoring alert fired"),
    "monitoring.alert_resolve": _("Monitoring alert resolved"),
    "monitoring.incident_open": _("Incident recorded"),
    "monitoring.incident_note": _("Note added to an incident"),
    "monitoring.incident_mitigate": _("Incident mitigated"),
    "monitoring.incident_resolve": _("Incident resolved"),
    "monitoring.incident_report_submit": _("Incident analysis report submitted"),
    "monitoring.incident_close": _("Incident reviewed and closed"),
    "monitoring.announcement_create": _("Staff announcement created"),
    "monitoring.announcement_update": _("Staff announcement changed"),
    "monitoring.announcement_withdraw": _("Staff announcement withdrawn"),
}

NOTIFICATION_KINDS = {
    "monitoring.alert": _("Monitoring alert"),
}

TASK_LABELS = {
    "monitoring: evaluate alert rules": _("Evaluate monitoring alert rules"),
    "monitoring.alerts_evaluate": _("Evaluate monitoring alert rules"),
}
