"""资金冻结: orders' funds frozen by risk control; released with the button 解除冻结.

A freeze is created from a case (the case page's 冻结资金) or from the order page's own
freeze button (orders admin); both write the same record.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from mall.core.admin import ReadOnlyModelAdmin, person_column, status_display, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import FundFreeze
from .common import FREEZE_COLOURS


@admin.register(FundFreeze)
class FundFreezeAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.freeze_list
    nav_group = "risk"
    nav_order = 50
    nav_icon = "lock"
    ordering = ["-id"]
    search_fields = ["=freeze_no", "=order__order_no"]
    search_help_text = _("Search by freeze or order number (exact).")
    list_filter = ["status", "region"]
    list_select_related = ["order", "region", "case", "frozen_by"]
    list_display = [
        "freeze_no",
        "order_no",
        "amount",
        status_display("status", FREEZE_COLOURS),
        "frozen_by_name",
        "created_at",
        "released_at",
    ]
    fields = [
        "freeze_no",
        "order_link",
        "case_no",
        "region",
        "amount",
        "status",
        "reason",
        "frozen_by_name",
        "created_at",
        "released_at",
        "released_by_name",
        "release_reason",
    ]
    readonly_fields = fields
    actions_detail = ["release"]

    frozen_by_name = person_column("frozen_by", _("frozen by"))
    released_by_name = person_column("released_by", _("released by"))

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, freeze):
        return freeze.order.order_no

    @display(description=_("order"))
    def order_link(self, freeze):
        return format_html(
            '<a class="text-primary-600" href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[freeze.order_id]),
            freeze.order.order_no,
        )

    @admin.display(description=_("risk case"))
    def case_no(self, freeze):
        return freeze.case.case_no if freeze.case_id else "—"

    @workflow_action(
        description=_("Release the freeze"),
        permission=perms.RELEASE_FREEZE,
        when=lambda freeze: freeze.status == FundFreeze.Status.ACTIVE,
        reason=True,
        confirm=_("Release this freeze? The order can be shipped and refunded again."),
        success=_("The freeze is released."),
        icon="lock_open",
    )
    def release(self, request, freeze, *, reason):
        from ..services.freezes import freeze_release

        freeze_release(actor=request.user, freeze=freeze, reason=reason)
