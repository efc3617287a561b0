"""After-sales cases (售后) in the admin: the customer-service queue and its buttons.

Rows come from ``orders.selectors.after_sale_list`` (the API's rows); every step is a
``@workflow_action`` button calling the same service as the API; nothing is edited in
a form. The lines, evidence images and timeline are read-only inlines.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm

from dispatch.models import Warehouse
from mall.core.admin import (
    ServiceModelAdmin,
    TabularInline,
    person_column,
    status_display,
    workflow_action,
)
from mall.core.scoping import scope_queryset
from orders.labels import ACTION_LABELS

from .. import permissions as perms
from .. import selectors
from ..models import AfterSale, AfterSaleEvent, AfterSaleImage, AfterSaleLine, OrderEvent
from ..services import after_sales as services

A = AfterSale.Status

AFTER_SALE_COLOURS = {
    A.REQUESTED: "warning",
    A.DISPUTED: "danger",
    A.APPROVED: "info",
    A.RETURNING: "info",
    A.RECEIVED: "info",
    A.REFUNDING: "primary",
    A.RESHIPPING: "primary",
    A.COMPLETED: "success",
    A.REJECTED: "danger",
}


class _ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    hide_title = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(perms.VIEW_AFTER_SALE)


class AfterSaleLineInline(_ReadOnlyInline):
    model = AfterSaleLine
    verbose_name_plural = _("after-sales lines")
    fields = ["sku_code", "product_title", "quantity", "amount"]
    readonly_fields = fields

    @admin.display(description=_("SKU code"))
    def sku_code(self, row):
        return row.order_line.sku_code

    @admin.display(description=_("product"))
    def product_title(self, row):
        return row.order_line.product_title


class AfterSaleImageInline(_ReadOnlyInline):
    model = AfterSaleImage
    fields = ["picture", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("image"))
    def picture(self, row):
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="" '
            'style="max-height:120px;max-width:160px"></a>',
            row.image.url,
        )


def event_label(event) -> str:
    """The event of a timeline row in words (never the stored code)."""
    return str(ACTION_LABELS.get(f"after_sale.{event.type}", _("Other step")))


def status_label(value: str) -> str:
    return str(A(value).label) if value in A.values else "—"


def actor_words(event) -> str:
    """Who did it: the staff member's name, or the member / the system in words."""
    from mall.core.people import person_name

    if event.actor_user_id:
        return person_name(event.actor_user)
    return str(OrderEvent.ActorKind(event.actor_kind).label)


class AfterSaleEventInline(_ReadOnlyInline):
    model = AfterSaleEvent
    verbose_name_plural = _("after-sales timeline")
    fields = ["at", "step", "from_label", "to_label", "who", "reason"]
    readonly_fields = fields
    ordering = ["id"]

    @admin.display(description=_("event"))
    def step(self, event):
        return event_label(event)

    @admin.display(description=_("from status"))
    def from_label(self, event):
        return status_label(event.from_status)

    @admin.display(description=_("to status"))
    def to_label(self, event):
        return status_label(event.to_status)

    @admin.display(description=_("actor"))
    def who(self, event):
        return actor_words(event)


class ApproveForm(BaseDialogForm):
    amount = forms.DecimalField(
        label=_("approved amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=_("Leave empty to approve the requested amount."),
    )
    note = forms.CharField(label=_("note"), required=False, max_length=300)


class PlanForm(BaseDialogForm):
    plan = forms.CharField(
        label=_("dispute plan"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReceiveForm(BaseDialogForm):
    warehouse = forms.ModelChoiceField(label=_("warehouse"), queryset=Warehouse.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = getattr(self, "request", None)
        user = getattr(request, "user", None)
        queryset = Warehouse.objects.filter(is_active=True)
        self.fields["warehouse"].queryset = (
            scope_queryset(user, queryset) if user is not None else queryset
        )


def _after_sale_rows(*, actor):
    return selectors.after_sale_list(actor=actor).select_related("handler")


@admin.register(AfterSale)
class AfterSaleAdmin(ServiceModelAdmin):
    list_selector = _after_sale_rows
    nav_group = "orders"
    nav_order = 30
    nav_icon = "assignment_return"
    estimated_count = True
    list_display = [
        "case_no",
        "order_no",
        "kind",
        status_display("status", AFTER_SALE_COLOURS),
        "reason",
        "requested_amount",
        "approved_amount",
        "refunded_amount",
        "region",
        person_column("handler", _("handler")),
        "created_at",
    ]
    list_filter = [
        "status",
        "kind",
        "reason",
        "region",
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["=case_no", "=order__order_no"]
    search_help_text = _("Search by after-sales or order number (exact).")
    ordering = ["-id"]
    fields = [
        "case_no",
        "order_no",
        "kind",
        "status",
        "reason",
        "description",
        "requested_amount",
        "approved_amount",
        "refunded_amount",
        "region",
        "channel",
        "handler_name",
        "decision_reason",
        "dispute_plan",
        "created_at",
        "reviewed_at",
        "received_at",
        "refunded_at",
        "completed_at",
    ]
    readonly_fields = fields
    inlines = [AfterSaleLineInline, AfterSaleImageInline, AfterSaleEventInline]
    actions = ["approve_selected"]
    actions_detail = [
        "approve",
        "reject",
        "plan_approve",
        "plan_reject",
        "receive",
        "reship_done",
        "refund",
    ]

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, case):
        return case.order.order_no

    @admin.display(description=_("handler"))
    def handler_name(self, case):
        from mall.core.people import person_name

        return person_name(case.handler) if case.handler_id else "—"

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def editable_in_state(self, obj) -> bool:
        return False  # every step is a button (a service); nothing is typed into the case

    # --- batch ------------------------------------------------------------------------

    def has_review_permission(self, request):
        return request.user.has_perm(perms.REVIEW_AFTER_SALE)

    @admin.action(description=_("Approve the selected requests"), permissions=["review"])
    def approve_selected(self, request, queryset):
        done = 0
        for case in queryset.filter(status=A.REQUESTED):
            if self.run_service(
                request, services.after_sale_approve, actor=request.user, after_sale=case
            ):
                done += 1
        self.message_user(request, _("%(count)s request(s) approved.") % {"count": done})

    # --- buttons ----------------------------------------------------------------------

    @workflow_action(
        description=_("Approve the request"),
        permission=perms.REVIEW_AFTER_SALE,
        when=lambda case: case.status == A.REQUESTED,
        form_class=ApproveForm,
        success=_("Approved."),
    )
    def approve(self, request, case, *, amount=None, note=""):
        services.after_sale_approve(actor=request.user, after_sale=case, amount=amount, note=note)

    @workflow_action(
        description=_("Reject"),
        permission=perms.REVIEW_AFTER_SALE,
        when=lambda case: case.status == A.REQUESTED,
        reason=True,
    )
    def reject(self, request, case, *, reason):
        services.after_sale_reject(actor=request.user, after_sale=case, reason=reason)

    @workflow_action(
        description=_("Plan: approve after all"),
        permission=perms.REVIEW_AFTER_SALE,
        when=lambda case: case.status == A.DISPUTED,
        form_class=PlanForm,
    )
    def plan_approve(self, request, case, *, plan):
        services.after_sale_plan(actor=request.user, after_sale=case, plan=plan, approve=True)

    @workflow_action(
        description=_("Plan: keep the rejection"),
        permission=perms.REVIEW_AFTER_SALE,
        when=lambda case: case.status == A.DISPUTED,
        form_class=PlanForm,
    )
    def plan_reject(self, request, case, *, plan):
        services.after_sale_plan(actor=request.user, after_sale=case, plan=plan, approve=False)

    @workflow_action(
        description=_("Goods received"),
        permission=perms.RECEIVE_AFTER_SALE,
        when=lambda case: case.status == A.RETURNING,
        form_class=ReceiveForm,
    )
    def receive(self, request, case, *, warehouse):
        services.after_sale_receive(actor=request.user, after_sale=case, warehouse=warehouse)

    @workflow_action(
        description=_("Replacement shipped"),
        permission=perms.RECEIVE_AFTER_SALE,
        when=lambda case: case.status == A.RESHIPPING,
        confirm=_("Has the replacement been shipped?"),
    )
    def reship_done(self, request, case):
        services.after_sale_reship_done(actor=request.user, after_sale=case)

    @workflow_action(
        description=_("Execute refund"),
        permission=perms.REFUND_AFTER_SALE,
        when=lambda case: case.status == A.REFUNDING,
        confirm=_("Refund this amount to the member now?"),
        success=_("Refund executed."),
    )
    def refund(self, request, case):
        services.after_sale_refund_execute(actor=request.user, after_sale=case)
