"""结算单: settlements per channel and day; buttons 重新计算 and 确认."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ReadOnlyModelAdmin, person_column, status_display, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import Settlement
from .common import SETTLEMENT_COLOURS

S = Settlement.Status


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.settlement_list
    nav_group = "finance"
    nav_order = 50
    nav_icon = "account_balance"
    ordering = ["-business_date", "channel"]
    list_filter = ["channel", "status", "business_date"]
    list_display = [
        "business_date",
        "channel",
        status_display("status", SETTLEMENT_COLOURS),
        "payment_count",
        "gross_amount",
        "fee_amount",
        "refund_count",
        "refund_amount",
        "fee_refund_amount",
        "net_amount",
        "expected_on",
    ]
    fields = [
        "business_date",
        "channel",
        "status",
        "payment_count",
        "gross_amount",
        "fee_amount",
        "refund_count",
        "refund_amount",
        "fee_refund_amount",
        "net_amount",
        "expected_on",
        "computed_at",
        "confirmed_by_name",
        "confirmed_at",
    ]
    readonly_fields = fields
    actions_detail = ["recompute", "confirm"]

    confirmed_by_name = person_column("confirmed_by", _("confirmed by"))

    @workflow_action(
        description=_("Recompute"),
        permission=perms.CONFIRM_SETTLEMENT,
        when=lambda row: row.status == S.DRAFT,
        confirm=_("Compute this day's figures again from its payments and refunds?"),
        success=_("Settlement recomputed."),
    )
    def recompute(self, request, row):
        from ..services.settlement import settlement_compute

        settlement_compute(actor=request.user, channel=row.channel, business_date=row.business_date)

    @workflow_action(
        description=_("Confirm"),
        permission=perms.CONFIRM_SETTLEMENT,
        when=lambda row: row.status == S.DRAFT,
        confirm=_("Confirm this settlement? Its figures cannot change afterwards."),
        success=_("Settlement confirmed."),
    )
    def confirm(self, request, row):
        from ..services.settlement import settlement_confirm

        settlement_confirm(actor=request.user, settlement=row)
