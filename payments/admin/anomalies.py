"""支付异常: payment anomalies; the button 处理 resolves one with a note."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm

from mall.core.admin import ReadOnlyModelAdmin, person_column, status_display, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import PaymentAnomaly
from .common import ANOMALY_COLOURS


class ResolveForm(BaseDialogForm):
    note = forms.CharField(
        label=_("resolution note"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done about it (checked with the channel, refunded …)."),
    )


@admin.register(PaymentAnomaly)
class PaymentAnomalyAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.anomaly_list
    nav_group = "finance"
    nav_order = 30
    nav_icon = "report"
    ordering = ["-id"]
    search_fields = ["=reference_no"]
    search_help_text = _("Search by transaction or refund number (exact).")
    list_filter = ["status", "kind", "channel", ("created_at", DateFieldListFilter)]
    list_display = [
        "kind",
        status_display("status", ANOMALY_COLOURS),
        "channel",
        "reference_no",
        "expected_amount",
        "reported_amount",
        "created_at",
        "resolved_at",
    ]
    fields = [
        "kind",
        "status",
        "channel",
        "reference_no",
        "transaction",
        "refund",
        "expected_amount",
        "reported_amount",
        "detail",
        "resolution_note",
        "resolved_by_name",
        "resolved_at",
        "created_at",
    ]
    readonly_fields = fields
    actions_detail = ["resolve"]

    resolved_by_name = person_column("resolved_by", _("resolved by"))

    @workflow_action(
        description=_("Resolve"),
        permission=perms.MANAGE_ANOMALY,
        when=lambda anomaly: anomaly.status == PaymentAnomaly.Status.OPEN,
        form_class=ResolveForm,
        success=_("The anomaly is resolved."),
    )
    def resolve(self, request, anomaly, *, note):
        from ..services.anomalies import anomaly_resolve

        anomaly_resolve(actor=request.user, anomaly=anomaly, note=note)
