"""Shared pieces of the payments admin: status colours and read-only inlines."""

from __future__ import annotations

from mall.core.admin import TabularInline

from ..models import ChannelHealth, PaymentAnomaly, PaymentTransaction, Refund, Settlement

T = PaymentTransaction.Status
R = Refund.Status

TRANSACTION_COLOURS = {
    T.UNPAID: "warning",
    T.PAID: "success",
    T.PARTIALLY_REFUNDED: "info",
    T.REFUNDED: "primary",
}
REFUND_COLOURS = {
    R.PENDING: "warning",
    R.PROCESSING: "info",
    R.SUCCEEDED: "success",
    R.FAILED: "danger",
}
ANOMALY_COLOURS = {
    PaymentAnomaly.Status.OPEN: "danger",
    PaymentAnomaly.Status.RESOLVED: "success",
}
SETTLEMENT_COLOURS = {
    Settlement.Status.DRAFT: "warning",
    Settlement.Status.CONFIRMED: "success",
}
HEALTH_COLOURS = {
    ChannelHealth.State.HEALTHY: "success",
    ChannelHealth.State.DEGRADED: "danger",
}


class ReadOnlyInline(TabularInline):
    """Rows shown on their parent's page, read through a scoped selector
    (``row_selector(*, actor)``), to readers who may view them."""

    extra = 0
    can_delete = False
    hide_title = True
    show_change_link = False
    row_selector = None

    def get_queryset(self, request):
        return type(self).row_selector(actor=request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
