"""Chinese labels of the codes the reports app writes (collected by ``mall.core.labels``)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "report.generate": _("Report generated"),
    "report.download": _("Report downloaded"),
    "report.purge": _("Expired reports purged"),
    "report.subscribe": _("Subscribed to a report"),
    "report.unsubscribe": _("Report subscription removed"),
}

NOTIFICATION_KINDS = {
    "reports.report_ready": _("Report ready to download"),
}

TASK_LABELS = {
    "reports: daily core-data report": _("Generate the daily core-data report"),
    "reports: weekly report": _("Generate the weekly operations report"),
    "reports: monthly report": _("Generate the monthly operations report"),
    "reports: archive retention": _("Purge reports past their retention"),
}
