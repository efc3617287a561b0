from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("Risk control")

    def ready(self) -> None:
        import importlib

        from mall.core.guard import register_review_handler, register_verdict_observer
        from mall.core.scoping import declare_scope

        from . import models as m
        from . import (
            parameters,  # noqa: F401 - registers the system parameters
            receivers,  # noqa: F401 - members' and orders' signals
        )
        from .receivers import case_open_from_verdict, event_record
        from .rules import MODULES
        from .services import transitions  # noqa: F401 - registers the status tables

        # Cases, events and freezes follow their order's sales region (risk officers have
        # scope "all"; a regional ops user sees their region's). Marks and the blacklist
        # are mall-wide lists: function permission only. Attempts are never shown.
        declare_scope(m.RiskCase, region="region")
        declare_scope(m.RiskEvent, region="region")
        declare_scope(m.FundFreeze, region="region")
        declare_scope(m.RiskMark, unscoped=True)
        declare_scope(m.BlacklistEntry, unscoped=True)
        declare_scope(m.RiskAttempt, unscoped=True)

        register_review_handler(case_open_from_verdict)
        register_verdict_observer(event_record)
        for module in MODULES:
            importlib.import_module(module)
        from . import workbench_items  # noqa: F401 - the risk officer's tiles
