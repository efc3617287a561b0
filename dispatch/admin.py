"""Admin screens of the dispatch centre: scoped lists, writes through the services.

Documents (purchase inbound, transfer, stocktake, return receipt, stock snapshot)
are created from a form whose lines are typed one per row as ``SKU-CODE quantity``;
the form calls the document's service, which books the ledger movements.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ReadOnlyModelAdmin, ServiceModelAdmin, TabularInline

from . import selectors, services
from .inputs import snapshot_lines_from_file
from .models import (
    Allocation,
    Carrier,
    CarrierRule,
    CoverageArea,
    PurchaseInbound,
    PurchaseInboundLine,
    ReturnReceipt,
    ReturnReceiptLine,
    Shipment,
    ShipmentLine,
    Stock,
    StockMovement,
    StockSnapshot,
    StockSnapshotLine,
    Stocktake,
    StocktakeLine,
    TrackingEvent,
    Transfer,
    TransferLine,
    Warehouse,
)


class DispatchAdmin(ServiceModelAdmin):
    """A dispatch screen whose form saves through a service (``save_with_service``)."""


class DispatchReadOnlyAdmin(ReadOnlyModelAdmin):
    """A read-only dispatch screen; its actions call services through ``run_service``."""


def parse_line_text(text: str) -> list[tuple[str, int]]:
    """Turn ``SKU-CODE quantity`` rows (space, tab or comma separated) into lines."""
    lines = []
    for number, row in enumerate((text or "").splitlines(), start=1):
        row = row.replace(",", " ").replace("，", " ").strip()
        if not row:
            continue
        parts = row.split()
        # ASCII digits only: str.isdigit() also accepts "²" or "①", which int() refuses.
        if len(parts) != 2 or not re.fullmatch(r"[0-9]{1,9}", parts[1]):
            raise forms.ValidationError(
                _("Line %(n)s: write the SKU code and a quantity, e.g. DEMO-001 5."),
                params={"n": number},
            )
        lines.append((parts[0], int(parts[1])))
    if not lines:
        raise forms.ValidationError(_("Enter at least one line."))
    return lines


class LinesFormMixin(forms.ModelForm):
    lines_text = forms.CharField(
        label=_("lines"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 40}),
        help_text=_("One line per SKU: SKU code and quantity, e.g. DEMO-FLASH-001 10"),
    )

    def clean_lines_text(self):
        return parse_line_text(self.cleaned_data["lines_text"])


class SnapshotForm(LinesFormMixin):
    """Lines typed in, or the warehouse's CSV export (``sku,on_hand``) uploaded."""

    lines_text = forms.CharField(
        label=_("lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 40}),
        help_text=_("One line per SKU: SKU code and quantity, e.g. DEMO-FLASH-001 10"),
    )
    file = forms.FileField(
        label=_("file"),
        required=False,
        help_text=_("CSV with the columns sku,on_hand (instead of lines)"),
    )

    def clean_lines_text(self):
        text = self.cleaned_data.get("lines_text") or ""
        return parse_line_text(text) if text.strip() else []

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("lines_text")) == bool(cleaned.get("file")):
            raise forms.ValidationError(_("Send either lines or a file, not both or neither."))
        return cleaned


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DocumentAdmin(DispatchAdmin):
    """A warehouse document: created through its service, never edited afterwards."""

    create_fields: tuple[str, ...] = ()
    line_fields: tuple[str, ...] = ("lines_text",)
    line_form = LinesFormMixin

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.line_form
            kwargs["fields"] = [*self.create_fields, *self.line_fields]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": [*self.create_fields, *self.line_fields]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in self.model._meta.concrete_fields]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_with_service(self, request, obj, form, change):
        return self.create_through_service(request, form.cleaned_data)

    def save_related(self, request, form, formsets, change):
        """Lines are written by the service."""

    def create_through_service(self, request, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def run_each(self, request, queryset, func, **kwargs):
        done = 0
        for document in queryset:
            if self.run_service(request, func, actor=request.user, document=document, **kwargs):
                done += 1
        if done:
            self.message_user(request, _("%(n)s document(s) done.") % {"n": done})


# --- master data ------------------------------------------------------------------------


class CoverageAreaInline(ReadOnlyInline):
    model = CoverageArea
    fields = ["province", "tier", "promised_days"]


@admin.register(Warehouse)
class WarehouseAdmin(DispatchAdmin):
    list_selector = selectors.warehouse_list
    list_display = ["code", "name", "type", "region", "contact_name", "contact_phone", "is_active"]
    list_filter = ["type", "region", "is_active"]
    search_fields = ["code", "name"]
    fields = [
        "code",
        "name",
        "type",
        "region",
        "address",
        "contact_name",
        "contact_phone",
        "is_active",
    ]
    inlines = [CoverageAreaInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_with_service(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in self.fields}
        return services.warehouse_save(
            actor=request.user, warehouse=obj if change else None, **values
        )

    def save_related(self, request, form, formsets, change):
        """Coverage is edited on its own screen (through its service)."""


@admin.register(CoverageArea)
class CoverageAreaAdmin(DispatchAdmin):
    list_selector = selectors.coverage_area_list
    list_display = ["warehouse", "province", "tier", "promised_days"]
    list_filter = ["tier", "warehouse"]
    search_fields = ["province__name", "warehouse__code"]
    fields = ["warehouse", "province", "tier", "promised_days"]

    def get_readonly_fields(self, request, obj=None):
        # A row is one (warehouse, province): another pair is another row (add it).
        return ["warehouse", "province"] if obj is not None else []

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.coverage_area_save(
            actor=request.user,
            warehouse=obj.warehouse if change else data["warehouse"],
            province=obj.province if change else data["province"],
            tier=data["tier"],
            promised_days=data["promised_days"],
        )

    def delete_model(self, request, obj):
        services.coverage_area_remove(actor=request.user, area=obj)


class CarrierRuleInline(ReadOnlyInline):
    model = CarrierRule
    fields = [
        "warehouse",
        "province",
        "first_item_fee_amount",
        "additional_item_fee_amount",
        "priority",
    ]


@admin.register(Carrier)
class CarrierAdmin(DispatchAdmin):
    list_selector = selectors.carrier_list
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "tracking_url", "is_active"]
    inlines = [CarrierRuleInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_with_service(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in self.fields}
        return services.carrier_save(actor=request.user, carrier=obj if change else None, **values)

    def save_related(self, request, form, formsets, change):
        """Rules are edited on their own screen (through their service)."""


@admin.register(CarrierRule)
class CarrierRuleAdmin(DispatchAdmin):
    list_selector = selectors.carrier_rule_list
    list_display = [
        "carrier",
        "warehouse",
        "province",
        "first_item_fee_amount",
        "additional_item_fee_amount",
        "priority",
    ]
    list_filter = ["carrier"]
    fields = [
        "carrier",
        "warehouse",
        "province",
        "first_item_fee_amount",
        "additional_item_fee_amount",
        "priority",
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.carrier_rule_save(
            actor=request.user,
            carrier=data["carrier"],
            rule=obj if change else None,
            warehouse=data["warehouse"],
            province=data["province"],
            first_item_fee_amount=data["first_item_fee_amount"],
            additional_item_fee_amount=data["additional_item_fee_amount"],
            priority=data["priority"],
        )


# --- stock and ledger -------------------------------------------------------------------


@admin.register(Stock)
class StockAdmin(DispatchAdmin):
    list_selector = selectors.stock_list
    list_display = [
        "warehouse",
        "sku",
        "on_hand",
        "reserved",
        "in_transit",
        "safety_stock",
        "sellable_display",
    ]
    list_filter = ["warehouse"]
    search_fields = ["sku__code"]
    fields = ["warehouse", "sku", "on_hand", "reserved", "in_transit", "safety_stock", "updated_at"]
    readonly_fields = ["warehouse", "sku", "on_hand", "reserved", "in_transit", "updated_at"]

    @admin.display(description=_("sellable"), ordering="sellable")
    def sellable_display(self, obj):
        return obj.sellable

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_with_service(self, request, obj, form, change):
        return services.stock_safety_set(
            actor=request.user, stock=obj, safety_stock=form.cleaned_data["safety_stock"]
        )


@admin.register(StockMovement)
class StockMovementAdmin(DispatchReadOnlyAdmin):
    list_selector = selectors.stock_movement_list
    list_display = [
        "created_at",
        "stock",
        "kind",
        "on_hand_delta",
        "reserved_delta",
        "in_transit_delta",
        "reference_type",
        "reference_no",
        "actor",
    ]
    list_filter = ["kind", "reference_type"]
    search_fields = ["^reference_no", "=stock__sku__code"]
    search_help_text = _("Search by the beginning of a document number or a whole SKU code.")
    list_select_related = ["stock", "actor"]
    estimated_count = True


# --- allocations and shipments ----------------------------------------------------------


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=200)


class ShipActionForm(ActionForm):
    waybill_no = forms.CharField(label=_("waybill number"), required=False, max_length=64)


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["shipment_no", "warehouse", "carrier", "status", "waybill_no"]

    def get_queryset(self, request):
        """Only the shipments in the reader's scope (a split order spans warehouses)."""
        return selectors.shipment_list(actor=request.user)


@admin.register(Allocation)
class AllocationAdmin(DispatchReadOnlyAdmin):
    list_selector = selectors.allocation_list
    list_display = ["order_no", "province", "status", "promised_delivery_date", "created_at"]
    list_filter = ["status"]
    search_fields = ["order_no"]
    inlines = [ShipmentInline]
    action_form = ReasonActionForm
    actions = ["release_selected"]

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


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["sku", "quantity"]


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ["occurred_at", "location", "description", "is_delivered"]


@admin.register(Shipment)
class ShipmentAdmin(DispatchReadOnlyAdmin):
    list_selector = selectors.shipment_list
    list_display = [
        "shipment_no",
        "order_no",
        "warehouse",
        "carrier",
        "status",
        "is_supplier_order",
        "waybill_no",
        "last_event_at",
        "is_stale",
    ]
    list_filter = ["status", "is_stale", "is_supplier_order", "warehouse"]
    search_fields = ["shipment_no", "order_no", "waybill_no"]
    inlines = [ShipmentLineInline, TrackingEventInline]
    action_form = ShipActionForm
    actions = ["ship_selected"]

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


# --- warehouse documents ----------------------------------------------------------------


class PurchaseInboundLineInline(ReadOnlyInline):
    model = PurchaseInboundLine
    fields = ["sku", "quantity"]


@admin.register(PurchaseInbound)
class PurchaseInboundAdmin(DocumentAdmin):
    list_selector = selectors.purchase_inbound_list
    list_display = ["document_no", "warehouse", "supplier_name", "status", "created_at"]
    list_filter = ["status", "warehouse"]
    search_fields = ["document_no", "supplier_name"]
    create_fields = ("warehouse", "supplier_name", "note")
    inlines = [PurchaseInboundLineInline]
    actions = ["arrive_selected"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_arrive_permission(self, request):
        return request.user.has_perm("dispatch.change_purchaseinbound")

    def create_through_service(self, request, data):
        return services.purchase_inbound_create(
            actor=request.user,
            warehouse=data["warehouse"],
            lines=data["lines_text"],
            supplier_name=data.get("supplier_name") or "",
            note=data.get("note") or "",
        )

    @admin.action(description=_("Book arrival"), permissions=["arrive"])
    def arrive_selected(self, request, queryset):
        self.run_each(request, queryset, services.purchase_inbound_arrive)


class TransferLineInline(ReadOnlyInline):
    model = TransferLine
    fields = ["sku", "quantity"]


@admin.register(Transfer)
class TransferAdmin(DocumentAdmin):
    list_selector = selectors.transfer_list
    list_display = ["document_no", "from_warehouse", "to_warehouse", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["document_no"]
    create_fields = ("from_warehouse", "to_warehouse", "note")
    inlines = [TransferLineInline]
    actions = ["receive_selected"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "to_warehouse":  # the destination may be any active warehouse
            kwargs["queryset"] = selectors.transfer_destination_list(actor=request.user)
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_receive_permission(self, request):
        return request.user.has_perm("dispatch.change_transfer")

    def create_through_service(self, request, data):
        return services.transfer_create(
            actor=request.user,
            from_warehouse=data["from_warehouse"],
            to_warehouse=data["to_warehouse"],
            lines=data["lines_text"],
            note=data.get("note") or "",
        )

    def response_add(self, request, obj, post_url_continue=None):
        # The sender may not see the transfer (it belongs to the destination's scope).
        self.message_user(request, _("Transfer %(no)s shipped out.") % {"no": obj.document_no})
        return HttpResponseRedirect("../")

    @admin.action(description=_("Receive at the destination"), permissions=["receive"])
    def receive_selected(self, request, queryset):
        self.run_each(request, queryset, services.transfer_receive)


class StocktakeLineInline(ReadOnlyInline):
    model = StocktakeLine
    fields = ["sku", "book_quantity", "counted", "difference"]


@admin.register(Stocktake)
class StocktakeAdmin(DocumentAdmin):
    list_selector = selectors.stocktake_list
    list_display = ["document_no", "warehouse", "created_at", "created_by"]
    list_filter = ["warehouse"]
    search_fields = ["document_no"]
    create_fields = ("warehouse", "note")
    inlines = [StocktakeLineInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def create_through_service(self, request, data):
        return services.stocktake_record(
            actor=request.user,
            warehouse=data["warehouse"],
            counts=data["lines_text"],
            note=data.get("note") or "",
        )


class ReturnReceiptLineInline(ReadOnlyInline):
    model = ReturnReceiptLine
    fields = ["sku", "quantity"]


@admin.register(ReturnReceipt)
class ReturnReceiptAdmin(DocumentAdmin):
    list_selector = selectors.return_receipt_list
    list_display = ["document_no", "warehouse", "order_no", "created_at"]
    list_filter = ["warehouse"]
    search_fields = ["document_no", "order_no"]
    create_fields = ("warehouse", "order_no", "note")
    inlines = [ReturnReceiptLineInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def create_through_service(self, request, data):
        return services.return_receipt_record(
            actor=request.user,
            warehouse=data["warehouse"],
            order_no=data["order_no"],
            lines=data["lines_text"],
            note=data.get("note") or "",
        )


class StockSnapshotLineInline(ReadOnlyInline):
    model = StockSnapshotLine
    fields = ["sku", "reported_on_hand", "book_on_hand", "difference", "status"]


@admin.register(StockSnapshot)
class StockSnapshotAdmin(DocumentAdmin):
    list_selector = selectors.stock_snapshot_list
    list_display = ["document_no", "warehouse", "taken_at", "source", "status"]
    list_filter = ["status", "warehouse", "source"]
    search_fields = ["document_no"]
    create_fields = ("warehouse", "taken_at", "note")
    line_fields = ("lines_text", "file")
    line_form = SnapshotForm
    inlines = [StockSnapshotLineInline]
    actions = ["reconcile_selected"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_reconcile_permission(self, request):
        return request.user.has_perm("dispatch.change_stocksnapshot")

    def create_through_service(self, request, data):
        if data.get("file"):
            lines, source = snapshot_lines_from_file(data["file"]), "file"
        else:
            lines, source = data["lines_text"], "admin"
        return services.stock_snapshot_submit(
            actor=request.user,
            warehouse=data["warehouse"],
            taken_at=data.get("taken_at"),
            lines=lines,
            source=source,
            note=data.get("note") or "",
        )

    @admin.action(description=_("Reconcile now"), permissions=["reconcile"])
    def reconcile_selected(self, request, queryset):
        for document in queryset:
            self.run_service(
                request,
                services.stock_snapshot_reconcile,
                actor=request.user,
                snapshot_doc=document,
            )


@admin.register(StockSnapshotLine)
class StockSnapshotLineAdmin(DispatchReadOnlyAdmin):
    """The review queue: reported figures too far from the ledger."""

    list_selector = selectors.stock_snapshot_line_list
    list_display = ["document", "sku", "reported_on_hand", "book_on_hand", "difference", "status"]
    list_filter = ["status"]
    search_fields = ["sku__code", "document__document_no"]
    actions = ["accept_selected", "reject_selected"]

    def has_review_permission(self, request):
        return request.user.has_perm("dispatch.change_stocksnapshot")

    def _review(self, request, queryset, accept: bool):
        for line in queryset:
            self.run_service(
                request,
                services.stock_snapshot_line_review,
                actor=request.user,
                line=line,
                accept=accept,
            )

    @admin.action(description=_("Accept: book the difference"), permissions=["review"])
    def accept_selected(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description=_("Reject: keep the ledger figure"), permissions=["review"])
    def reject_selected(self, request, queryset):
        self._review(request, queryset, False)
