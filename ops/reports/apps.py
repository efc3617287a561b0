from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """An edge app of ops (DESIGN.md §3): it may import any app; no app imports it."""

    name = "ops.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from mall.core.scoping import declare_scope

        from . import models as m
        from . import parameters  # noqa: F401 - registers the system parameters

        # Archived reports are mall-wide figures: the selector shows them only to readers
        # with scope "all" (docs/REPORTS.md); subscriptions are each reader's own.
        declare_scope(m.ReportArchive, unscoped=True)
        declare_scope(m.ReportSubscription, unscoped=True)
        from . import workbench_items  # noqa: F401 - the sidebar link of the dashboard
