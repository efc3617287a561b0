"""回调日志: every notification the channels sent, read only — the body is never shown."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter

from mall.core.admin import ReadOnlyModelAdmin, status_display

from .. import selectors
from ..models import CallbackRecord

OUT = CallbackRecord.Outcome
OUTCOME_COLOURS = {
    OUT.APPLIED: "success",
    OUT.DUPLICATE: "info",
    OUT.REJECTED: "danger",
    OUT.ANOMALY: "warning",
}


@admin.register(CallbackRecord)
class CallbackRecordAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.callback_list
    estimated_count = True
    nav_group = "finance"
    nav_order = 40
    nav_icon = "webhook"
    ordering = ["-id"]
    list_filter = ["outcome", "channel", "kind", "verified", ("received_at", DateFieldListFilter)]
    list_display = [
        "received_at",
        "channel",
        "kind",
        "verified",
        status_display("outcome", OUTCOME_COLOURS),
        "reference_no",
        "remote_ip",
    ]
    # never the body (it may carry the payer) nor the raw headers or error codes
    fields = [
        "received_at",
        "channel",
        "kind",
        "verified",
        "outcome",
        "reference_no",
        "transaction",
        "remote_ip",
    ]
    readonly_fields = fields
