from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """An edge app of ops (DESIGN.md §3): it may import any app; no app imports it."""

    name = "ops.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")
