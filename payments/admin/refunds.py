"""退款单: refunds, read only; a failed refund is sent again with the button 重试退款."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ReadOnlyModelAdmin, person_column, status_display, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import Refund
from .common import REFUND_COLOURS


@admin.register(Refund)
class RefundAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.refund_list
    estimated_count = True
    nav_group = "finance"
    nav_order = 20
    nav_icon = "currency_exchange"
    ordering = ["-id"]
    search_fields = ["=refund_no", "=order__order_no", "=transaction__transaction_no"]
    search_help_text = _("Search by refund, order or transaction number (exact).")
    list_filter = ["status", "channel", "source", ("created_at", DateFieldListFilter)]
    list_display = [
        "refund_no",
        "transaction_no",
        "order_no",
        "channel",
        "source",
        status_display("status", REFUND_COLOURS),
        "amount",
        "fee_refund_amount",
        "attempts",
        "created_at",
        "succeeded_at",
    ]
    fields = [
        "refund_no",
        "channel_refund_no",
        "transaction_no",
        "order_no",
        "after_sale_case_no",
        "channel",
        "source",
        "status",
        "amount",
        "fee_refund_amount",
        "reason",
        "attempts",
        "next_attempt_at",
        "last_error",
        "requested_by_name",
        "created_at",
        "succeeded_at",
    ]
    readonly_fields = fields
    actions_detail = ["retry"]

    requested_by_name = person_column("requested_by", _("requested by"))

    @admin.display(description=_("transaction number"), ordering="transaction__transaction_no")
    def transaction_no(self, refund):
        return refund.transaction.transaction_no

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, refund):
        return refund.order.order_no if refund.order_id else "—"

    @workflow_action(
        description=_("Retry refund"),
        permission=perms.RETRY_REFUND,
        when=lambda refund: refund.status == Refund.Status.FAILED,
        confirm=_("Send this refund to the channel again?"),
        success=_("The refund was sent again."),
    )
    def retry(self, request, refund):
        from ..services.refunds import refund_retry  # built with the refunds part

        refund_retry(actor=request.user, refund=refund)
