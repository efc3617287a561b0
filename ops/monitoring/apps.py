from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """An edge app of ops (DESIGN.md §3): it may import any app; no app imports it."""

    name = "ops.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from mall.core.hooks import provide
        from mall.core.scoping import declare_scope

        from . import models as m
        from . import parameters  # noqa: F401 - registers the parameter and the SLA kind
        from .metrics import HOOK, builtin_metrics
        from .services import transitions  # noqa: F401 - registers the status tables

        # Operations data of the whole mall: function permission only (no data scope).
        for model in (
            m.MetricReading,
            m.AlertRule,
            m.Alert,
            m.Incident,
            m.IncidentNote,
            m.Announcement,
        ):
            declare_scope(model, unscoped=True)
        provide(HOOK, "monitoring", builtin_metrics)
        from . import workbench_items  # noqa: F401 - tiles and the announcements panel
