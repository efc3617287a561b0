"""支付流水: payment transactions, read only; refunds, callbacks and anomalies inline.

A big table: ``estimated_count`` and exact searches on indexed numbers. The payer is
masked unless ``payments.view_payment_pii`` (the reveal is audited).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _

from mall.core.admin import PiiAdminMixin, ReadOnlyModelAdmin, status_display

from .. import selectors
from ..models import CallbackRecord, PaymentAnomaly, PaymentTransaction, Refund
from ..permissions import VIEW_PAYMENT_PII
from .common import TRANSACTION_COLOURS, ReadOnlyInline


class RefundInline(ReadOnlyInline):
    model = Refund
    row_selector = selectors.refund_list
    verbose_name_plural = _("refunds")
    fields = ["refund_no", "source", "amount", "fee_refund_amount", "status", "succeeded_at"]
    readonly_fields = fields
    ordering = ["id"]


class CallbackInline(ReadOnlyInline):
    model = CallbackRecord
    row_selector = selectors.callback_list
    verbose_name_plural = _("payment callbacks")
    fields = ["received_at", "kind", "verified", "outcome"]
    readonly_fields = fields
    ordering = ["id"]


class AnomalyInline(ReadOnlyInline):
    model = PaymentAnomaly
    row_selector = selectors.anomaly_list
    fk_name = "transaction"
    verbose_name_plural = _("payment anomalies")
    fields = ["kind", "status", "expected_amount", "reported_amount", "created_at"]
    readonly_fields = fields
    ordering = ["id"]


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(PiiAdminMixin, ReadOnlyModelAdmin):
    list_selector = selectors.transaction_list
    estimated_count = True
    nav_group = "finance"
    nav_order = 10
    nav_icon = "payments"
    ordering = ["-id"]
    search_fields = ["=transaction_no", "=channel_trade_no", "=order__order_no"]
    search_help_text = _("Search by transaction, channel transaction or order number (exact).")
    list_filter = [
        "status",
        "channel",
        "purpose",
        ("paid_at", DateFieldListFilter),
        ("created_at", DateFieldListFilter),
    ]
    list_display = [
        "transaction_no",
        "order_no",
        "channel",
        "purpose",
        status_display("status", TRANSACTION_COLOURS),
        "total_amount",
        "paid_amount",
        "refunded_amount",
        "fee_amount",
        "masked_payer",
        "paid_at",
    ]
    pii_fields = {"payer": "id_number"}
    pii_labels = {"payer": _("payer")}
    pii_permission = VIEW_PAYMENT_PII
    fields = [
        "transaction_no",
        "channel_trade_no",
        "purpose",
        "order_no",
        "member_name",
        "region",
        "channel",
        "scene",
        "status",
        "total_amount",
        "discount_amount",
        "paid_amount",
        "refunded_amount",
        "fee_amount",
        "masked_payer",
        "expires_at",
        "paid_at",
        "closed_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [RefundInline, CallbackInline, AnomalyInline]

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, txn):
        return txn.order.order_no if txn.order_id else "—"

    @admin.display(description=_("member"))
    def member_name(self, txn):
        from members.member_360 import member_label

        return member_label(txn.member)
