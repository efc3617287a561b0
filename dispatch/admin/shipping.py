"""Allocations and shipments."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from mall.core.admin import (
    workflow_action,
)
from mall.core.people import person_name

from .. import selectors, services
from ..models import (
    Allocation,
    Shipment,
    ShipmentLine,
    TrackingEvent,
)
from ._common import (
    ALLOCATION_STATUS_COLOURS,
    SHIPMENT_STATUS_COLOURS,
    DispatchReadOnlyAdmin,
    NamesMixin,
    ReadOnlyInline,
    choice_label,
    choice_text,
)

# --- allocations and shipments ----------------------------------------------------------


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)


class ShipActionForm(ActionForm):
    waybill_no = forms.CharField(label=_("waybill number"), required=False, max_length=64)


class ShipmentInline(NamesMixin, ReadOnlyInline):
    model = Shipment
    fields = ["shipment_no", "warehouse_name", "carrier", "status_text", "waybill_no"]
    readonly_fields = fields

    @display(description=_("status"))
    def status_text(self, obj):
        return obj.get_status_display()

    def get_queryset(self, request):
        """Only the shipments in the reader's scope (a split order spans warehouses)."""
        return selectors.shipment_list(actor=request.user)


@admin.register(Allocation)
class AllocationAdmin(DispatchReadOnlyAdmin):
    list_selector = selectors.allocation_list
    nav_order = 40
    nav_icon = "alt_route"
    list_display = ["order_no", "province", "status_label", "promised_delivery_date", "created_at"]
    list_filter = ["status"]
    search_fields = ["order_no"]
    search_help_text = _("Search by order number.")
    fields = [
        "order_no",
        "province",
        "status_text",
        "promised_delivery_date",
        "created_by_name",
        "created_at",
        "released_reason",
    ]
    readonly_fields = fields
    inlines = [ShipmentInline]
    action_form = ReasonActionForm
    actions = ["release_selected"]
    actions_detail = ["release_button"]

    status_label = choice_label("status", ALLOCATION_STATUS_COLOURS)
    status_text = choice_text("status")

    @display(description=_("created by"))
    def created_by_name(self, obj):
        return person_name(obj.created_by)

    @workflow_action(
        description=_("Release the reserved stock"),
        permission="dispatch.change_allocation",
        when=lambda allocation: allocation.status == Allocation.Status.ALLOCATED,
        reason=True,
    )
    def release_button(self, request, allocation, reason):
        services.allocation_release(actor=request.user, order_no=allocation.order_no, reason=reason)

    def has_release_permission(self, request):
        return request.user.has_perm("dispatch.change_allocation")

    @admin.action(description=_("Release the reserved stock"), permissions=["release"])
    def release_selected(self, request, queryset):
        reason = request.POST.get("reason", "") or str(_("released in the admin"))
        for allocation in queryset:
            self.run_service(
                request,
                services.allocation_release,
                actor=request.user,
                order_no=allocation.order_no,
                reason=reason,
            )


class ShipmentLineInline(NamesMixin, ReadOnlyInline):
    model = ShipmentLine
    fields = ["product_name", "sku_code", "sku_spec", "quantity"]
    readonly_fields = fields


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ["occurred_at", "location", "description", "is_delivered"]


@admin.register(Shipment)
class ShipmentAdmin(NamesMixin, DispatchReadOnlyAdmin):
    list_selector = selectors.shipment_list
    nav_order = 30
    nav_icon = "package_2"
    list_display = [
        "shipment_no",
        "order_no",
        "warehouse_name",
        "carrier",
        "status_label",
        "is_supplier_order",
        "waybill_no",
        "last_event_at",
        "is_stale",
    ]
    list_filter = ["status", "is_stale", "is_supplier_order", "warehouse"]
    search_fields = ["shipment_no", "order_no", "waybill_no"]
    search_help_text = _("Search by shipment, order or waybill number.")
    fields = [
        "shipment_no",
        "order_no",
        "warehouse_name",
        "carrier",
        "status_text",
        "is_supplier_order",
        "promised_days",
        "shipping_fee_amount",
        "waybill_no",
        "shipped_at",
        "delivered_at",
        "last_event_at",
        "is_stale",
    ]
    readonly_fields = fields
    inlines = [ShipmentLineInline, TrackingEventInline]
    action_form = ShipActionForm
    actions = ["ship_selected"]

    status_label = choice_label("status", SHIPMENT_STATUS_COLOURS)
    status_text = choice_text("status")

    def has_ship_permission(self, request):
        return request.user.has_perm("dispatch.change_shipment")

    @admin.action(description=_("Ship out (enter the waybill number)"), permissions=["ship"])
    def ship_selected(self, request, queryset):
        waybill_no = request.POST.get("waybill_no", "").strip()
        shipments = list(queryset[:2])
        if len(shipments) != 1:
            self.message_user(request, _("Select exactly one shipment."), level=messages.ERROR)
            return
        self.run_service(
            request,
            services.shipment_ship,
            actor=request.user,
            shipment=shipments[0],
            waybill_no=waybill_no,
            success=_("Shipped."),
        )
