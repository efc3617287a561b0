from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments and reconciliation")

    def ready(self) -> None:
        from django.core import checks

        from mall.core.scoping import declare_scope

        from .checks import payment_channels_check

        checks.register(payment_channels_check, checks.Tags.security, deploy=True)

        from . import models as m
        from . import parameters  # noqa: F401 - registers the system parameters
        from .services import transitions  # noqa: F401 - registers the status tables

        # Money rows are scoped like their order: by the order's sales region. A balance
        # recharge has no region and is read by finance with scope "all".
        declare_scope(m.PaymentTransaction, region="region")
        declare_scope(m.Refund, region="region")
        declare_scope(m.CallbackRecord, region="region")
        declare_scope(m.PaymentAnomaly, region="region")
        # Settlements and channel health are per channel for the whole mall: function
        # permission only (finance and tech).
        declare_scope(m.Settlement, unscoped=True)
        declare_scope(m.ChannelCall, unscoped=True)
        declare_scope(m.ChannelHealth, unscoped=True)
        # Reconciliation runs and their bill lines are whole-mall figures per channel
        # (function permission); each discrepancy is scoped by its record's region (none
        # for an item we have no record of: scope "all" only), an adjustment like it.
        declare_scope(m.Reconciliation, unscoped=True)
        declare_scope(m.BillLine, unscoped=True)
        declare_scope(m.Discrepancy, region="region")
        declare_scope(m.ReconciliationAdjustment, region="region")
        # orders.refund_submit (orders' refunds execute here)
        from . import (
            hooks,  # noqa: F401
            workbench_items,  # noqa: F401 - the finance tiles
        )
