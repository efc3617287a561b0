"""Admin screens of the dispatch centre: scoped lists in Chinese, writes through the services.

* Lists name things, not codes: product name, SKU code and spec, warehouse name, the
  person's name (:func:`mall.core.people.person_name`), statuses and movement kinds as
  coloured labels.
* Documents (purchase inbound, transfer, stocktake, return receipt) are created from a
  form whose lines are inline rows: a SKU picked with the SKU search
  (:func:`sku_search_view`: product name, spec and the sellable units in the reader's
  warehouses) and a quantity. The form calls the document's service, which writes the
  document and its lines and books the ledger movements. A stock snapshot is typed as
  ``SKU-CODE quantity`` rows or uploaded as the warehouse's CSV file.
* A document is never edited once written: its page is read-only and its workflow steps
  (book arrival, receive, reconcile, accept/reject a line, release) are buttons calling
  the same services as the API. Bulk actions stay for batches.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget

from mall.core.admin import (
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    TabularInline,
    workflow_action,
)
from mall.core.exports import ExportColumn, export_response
from mall.core.people import person_name

from . import selectors, services
from .availability import below_safety_stock_q
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

    nav_group = "stock"


class DispatchReadOnlyAdmin(ReadOnlyModelAdmin):
    """A read-only dispatch screen; its buttons and actions call services."""

    nav_group = "stock"


# --- how things are named on screen -------------------------------------------------------

# Label colours (unfold ``@display(label=...)``) per stored value.
DOCUMENT_STATUS_COLOURS = {
    PurchaseInbound.Status.IN_TRANSIT: "warning",
    PurchaseInbound.Status.ARRIVED: "success",
    Transfer.Status.SHIPPED: "warning",
    Transfer.Status.RECEIVED: "success",
}
SHIPMENT_STATUS_COLOURS = {
    Shipment.Status.PENDING: "warning",
    Shipment.Status.SHIPPED: "info",
    Shipment.Status.DELIVERED: "success",
    Shipment.Status.CANCELLED: "danger",
}
ALLOCATION_STATUS_COLOURS = {
    Allocation.Status.ALLOCATED: "info",
    Allocation.Status.SHIPPED: "success",
    Allocation.Status.RELEASED: "danger",
}
SNAPSHOT_STATUS_COLOURS = {
    StockSnapshot.Status.PENDING: "warning",
    StockSnapshot.Status.RECONCILED: "success",
    StockSnapshot.Status.NEEDS_REVIEW: "danger",
}
SNAPSHOT_LINE_STATUS_COLOURS = {
    StockSnapshotLine.Status.PENDING: "info",
    StockSnapshotLine.Status.MATCHED: "success",
    StockSnapshotLine.Status.ADJUSTED: "info",
    StockSnapshotLine.Status.NEEDS_REVIEW: "danger",
    StockSnapshotLine.Status.ACCEPTED: "success",
    StockSnapshotLine.Status.REJECTED: "warning",
}
_Kind = StockMovement.Kind
MOVEMENT_KIND_COLOURS = {
    _Kind.PURCHASE_IN_TRANSIT: "info",
    _Kind.PURCHASE_ARRIVAL: "success",
    _Kind.TRANSFER_OUT: "warning",
    _Kind.TRANSFER_IN: "success",
    _Kind.ORDER_LOCK: "info",
    _Kind.ORDER_RELEASE: "info",
    _Kind.SHIP_OUT: "warning",
    _Kind.RETURN_IN: "success",
    _Kind.STOCKTAKE_GAIN: "success",
    _Kind.STOCKTAKE_LOSS: "danger",
    _Kind.SYNC_ADJUSTMENT: "warning",
}


def choice_label(field: str, colours: dict, description=None):
    """A list column showing ``field``'s translated choice as a coloured label."""

    @display(description=description or _("status"), label=colours, ordering=field)
    def column(self, obj):
        return getattr(obj, field), getattr(obj, f"get_{field}_display")()

    column.__name__ = f"{field}_label"
    return column


def choice_text(field: str, description=None):
    """A read-only page field showing ``field``'s translated choice (no label markup)."""

    @display(description=description or _("status"))
    def column(self, obj):
        return getattr(obj, f"get_{field}_display")()

    column.__name__ = f"{field}_text"
    return column


def sku_text(sku, sellable: int | None = None) -> str:
    """A SKU as a person reads it: product name, spec, code (and sellable units)."""
    parts = [sku.product.title]
    if sku.spec_text:
        parts.append(sku.spec_text)
    parts.append(sku.code)
    text = " · ".join(parts)
    if sellable is not None:
        text += " " + gettext("(sellable %(n)s)") % {"n": sellable}
    return text


class NamesMixin:
    """Columns shared by the dispatch screens (names, never ids or codes)."""

    @display(description=_("product"))
    def product_name(self, obj):
        return _sku_of(obj).product.title

    @display(description=_("SKU code"))
    def sku_code(self, obj):
        return _sku_of(obj).code

    @display(description=_("specification"))
    def sku_spec(self, obj):
        return _sku_of(obj).spec_text or "—"

    @display(description=_("warehouse"), ordering="warehouse__name")
    def warehouse_name(self, obj):
        return _warehouse_of(obj).name

    @display(description=_("created by"))
    def created_by_name(self, obj):
        return person_name(obj.created_by)


def _sku_of(obj):
    if isinstance(obj, StockMovement):
        return obj.stock.sku
    return obj.sku


def _warehouse_of(obj):
    if isinstance(obj, StockMovement):
        return obj.stock.warehouse
    return obj.warehouse


# --- the SKU search of document lines ------------------------------------------------------


class SkuSearchWidget(AutocompleteSelect):
    """Django's autocomplete box, asking the dispatch SKU search instead of the catalog's."""

    def get_url(self):
        return reverse(f"{self.admin_site.name}:dispatch_stock_sku_search")

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-width"] = "100%"  # the whole cell: product names are long
        return attrs

    def optgroups(self, name, value, attrs=None):
        # A forged value (not an id) is a form error, never a crash while re-rendering.
        value = [item for item in value if str(item).isascii() and str(item).isdigit()]
        return super().optgroups(name, value, attrs)


DOCUMENT_ADD_PERMISSIONS = (
    "dispatch.add_purchaseinbound",
    "dispatch.add_transfer",
    "dispatch.add_stocktake",
    "dispatch.add_returnreceipt",
)


def sku_search_view(request):
    """``GET ?term=…&page=…`` → the select2 answer of SKUs for a document line.

    For readers who may write a warehouse document. Each SKU reads "product · spec ·
    code (sellable n)", where n counts the reader's warehouses only
    (:func:`selectors.sku_pick_list`).
    """
    if not any(request.user.has_perm(perm) for perm in DOCUMENT_ADD_PERMISSIONS):
        raise PermissionDenied
    try:
        page = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        page = 1
    per_page = 20
    found = selectors.sku_pick_list(
        actor=request.user,
        term=request.GET.get("term", ""),
        offset=(page - 1) * per_page,
        limit=per_page + 1,
    )
    results = [
        {"id": str(sku.pk), "text": sku_text(sku, sellable)} for sku, sellable in found[:per_page]
    ]
    return JsonResponse({"results": results, "pagination": {"more": len(found) > per_page}})


# --- document forms -----------------------------------------------------------------------


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
    return lines


class SnapshotForm(forms.ModelForm):
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
        return parse_line_text(self.cleaned_data.get("lines_text") or "")

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("lines_text")) == bool(cleaned.get("file")):
            raise forms.ValidationError(_("Send either lines or a file, not both or neither."))
        return cleaned


class ReadOnlyInline(TabularInline):
    """Rows shown on their parent's page, to whoever may see the parent."""

    extra = 0
    can_delete = False
    hide_title = True  # no "SKU × 3" caption above each row

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class DocumentLineInline(NamesMixin, ReadOnlyInline):
    """A document's lines: rows to fill in on the add form, read-only afterwards.

    The SKU box searches product name, SKU code and product code and shows the
    sellable units in the reader's warehouses.
    """

    quantity_field = "quantity"
    view_fields: tuple[str, ...] = ("product_name", "sku_code", "sku_spec", "quantity")
    extra = 2
    min_num = 1
    validate_min = True

    def has_add_permission(self, request, obj=None):
        opts = self.parent_model._meta
        return obj is None and request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    def get_extra(self, request, obj=None, **kwargs):
        return self.extra if obj is None else 0

    def get_min_num(self, request, obj=None, **kwargs):
        return self.min_num if obj is None else 0

    def get_fields(self, request, obj=None):
        return ["sku", self.quantity_field] if obj is None else list(self.view_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else list(self.view_fields)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sku":
            from catalog.models import Sku

            kwargs["queryset"] = Sku.objects.select_related("product")
            kwargs["widget"] = SkuSearchWidget(db_field, self.admin_site)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = sku_text
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DocumentAdmin(NamesMixin, DispatchAdmin):
    """A warehouse document: written with its lines by its service, never edited afterwards.

    ``create_fields`` are the header inputs of the add form; the lines come from the
    inline rows (``DocumentLineInline``); ``view_fields`` is the read-only page.
    """

    create_fields: tuple[str, ...] = ()
    view_fields: tuple[str, ...] = ()
    # the document's own warehouse input: preselected when the reader has only one
    own_warehouse_field = "warehouse"
    list_per_page = 50

    def get_fields(self, request, obj=None):
        return list(self.create_fields) if obj is None else list(self.view_fields)

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.get_fields(request, obj)})]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else list(self.view_fields)

    def editable_in_state(self, obj) -> bool:
        return False  # written once by its service; the next steps are buttons

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == self.own_warehouse_field:
            field.queryset = field.queryset.filter(is_active=True)
            only = list(field.queryset[:2])
            if len(only) == 1:  # the clerk's only warehouse
                field.initial = only[0].pk
                field.empty_label = None
        return field

    def save_with_service(self, request, obj, form, change):
        """Nothing yet: the document is written with its lines (``save_formset``)."""
        return None

    def save_formset(self, request, form, formset, change):
        # The service writes the lines; the history message names what it wrote.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if change:
            return
        quantity = next(
            inline.quantity_field
            for inline in self.get_inline_instances(request)
            if inline.model is formset.model
        )
        lines = [
            (row.cleaned_data["sku"], row.cleaned_data[quantity])
            for row in formset.forms
            if getattr(row, "cleaned_data", None)
            and not row.cleaned_data.get("DELETE")
            and row.cleaned_data.get("sku") is not None
        ]
        saved = self.create_through_service(request, form.cleaned_data, lines)
        document = form.instance
        for field in saved._meta.concrete_fields:
            setattr(document, field.attname, getattr(saved, field.attname))
        document._state.adding = False
        document._state.db = saved._state.db
        formset.new_objects = list(saved.lines.select_related("sku"))

    def create_through_service(self, request, data, lines):  # pragma: no cover - abstract
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
    nav_order = 80
    nav_icon = "warehouse"
    list_display = [
        "name",
        "code",
        "type_label",
        "region",
        "contact_name",
        "contact_phone",
        "is_active",
    ]
    list_filter = ["type", "region", "is_active"]
    search_fields = ["code", "name"]
    search_help_text = _("Search by warehouse code or name.")
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

    type_label = choice_label(
        "type",
        {
            Warehouse.Type.CENTRAL: "primary",
            Warehouse.Type.REGIONAL: "info",
            Warehouse.Type.SUPPLIER: "warning",
        },
        _("type"),
    )

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
class CoverageAreaAdmin(NamesMixin, DispatchAdmin):
    list_selector = selectors.coverage_area_list
    nav_order = 85
    nav_icon = "map"
    list_display = ["warehouse_name", "province", "tier", "promised_days"]
    list_filter = ["tier", "warehouse"]
    search_fields = ["province__name", "warehouse__code", "warehouse__name"]
    search_help_text = _("Search by province or warehouse.")
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
    nav_order = 90
    nav_icon = "local_shipping"
    list_display = ["name", "code", "is_active"]
    search_fields = ["code", "name"]
    search_help_text = _("Search by carrier code or name.")
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
    nav_order = 95
    nav_icon = "rule"
    list_display = [
        "carrier",
        "warehouse_or_any",
        "province_or_any",
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

    @display(description=_("warehouse"))
    def warehouse_or_any(self, obj):
        return obj.warehouse.name if obj.warehouse_id else gettext("any warehouse")

    @display(description=_("province"))
    def province_or_any(self, obj):
        return obj.province.name if obj.province_id else gettext("any province")

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


class StockAlertFilter(admin.SimpleListFilter):
    """库存预警: rows below their safety stock, or with nothing left to sell."""

    title = _("stock alert")
    parameter_name = "alert"
    BELOW_SAFETY = "below_safety"
    SELLABLE_ZERO = "sellable_zero"

    def lookups(self, request, model_admin):
        return [
            (self.BELOW_SAFETY, _("Below safety stock")),
            (self.SELLABLE_ZERO, _("Sellable is 0")),
        ]

    def queryset(self, request, queryset):
        if self.value() == self.BELOW_SAFETY:
            return queryset.filter(below_safety_stock_q())
        if self.value() == self.SELLABLE_ZERO:
            return queryset.filter(sellable=0)
        return queryset


STOCK_EXPORT_COLUMNS = [
    ExportColumn(_("product"), "sku.product.title"),
    ExportColumn(_("SKU code"), "sku.code"),
    ExportColumn(_("specification"), "sku.spec_text"),
    ExportColumn(_("warehouse"), "warehouse.name"),
    ExportColumn(_("on hand"), "on_hand"),
    ExportColumn(_("reserved"), "reserved"),
    ExportColumn(_("in transit"), "in_transit"),
    ExportColumn(_("sellable"), "sellable"),
    ExportColumn(_("safety stock"), "safety_stock"),
    ExportColumn(_("updated at"), "updated_at"),
]


@admin.register(Stock)
class StockAdmin(NamesMixin, DispatchAdmin):
    list_selector = selectors.stock_list
    nav_order = 10
    nav_icon = "inventory_2"
    list_display = [
        "product_name",
        "sku_code",
        "sku_spec",
        "warehouse_name",
        "on_hand",
        "reserved",
        "in_transit",
        "sellable_display",
        "safety_stock",
    ]
    list_filter = [StockAlertFilter, "warehouse"]
    search_fields = ["sku__code", "sku__product__title"]
    search_help_text = _("Search by SKU code or product name.")
    fields = [
        "product_name",
        "sku_code",
        "sku_spec",
        "warehouse_name",
        "on_hand",
        "reserved",
        "in_transit",
        "sellable_units",
        "safety_stock",
        "updated_at",
    ]
    readonly_fields = [
        "product_name",
        "sku_code",
        "sku_spec",
        "warehouse_name",
        "on_hand",
        "reserved",
        "in_transit",
        "sellable_units",
        "updated_at",
    ]
    actions = ["export_selected"]

    @display(
        description=_("sellable"),
        ordering="sellable",
        label={"danger": "danger", "warning": "warning", "success": "success"},
    )
    def sellable_display(self, obj):
        """The sellable units; red at 0, orange below the safety stock."""
        if obj.sellable <= 0:
            return "danger", obj.sellable
        if obj.safety_stock and obj.sellable < obj.safety_stock:
            return "warning", obj.sellable
        return "success", obj.sellable

    @display(description=_("sellable"))
    def sellable_units(self, obj):
        return obj.sellable

    def get_urls(self):
        return [
            path(
                "sku-search/",
                self.admin_site.admin_view(sku_search_view),
                name="dispatch_stock_sku_search",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("dispatch.view_stock")

    @admin.action(description=_("Export selected to Excel"), permissions=["export"])
    def export_selected(self, request, queryset):
        return export_response(
            user=request.user,
            queryset=queryset.select_related("sku__product", "warehouse"),
            columns=STOCK_EXPORT_COLUMNS,
            filename="stock",
            fmt="xlsx",
            scoped=True,
        )

    def save_with_service(self, request, obj, form, change):
        return services.stock_safety_set(
            actor=request.user, stock=obj, safety_stock=form.cleaned_data["safety_stock"]
        )


@admin.register(StockMovement)
class StockMovementAdmin(NamesMixin, DispatchReadOnlyAdmin):
    list_selector = selectors.stock_movement_list
    nav_order = 20
    nav_icon = "swap_vert"
    list_display = [
        "created_at",
        "product_name",
        "sku_code",
        "warehouse_name",
        "kind_label",
        "on_hand_delta",
        "reserved_delta",
        "in_transit_delta",
        "reference_label",
        "reference_no",
        "actor_name",
    ]
    list_filter = ["kind", "reference_type"]
    search_fields = ["^reference_no", "=stock__sku__code"]
    search_help_text = _("Search by the beginning of a document number or a whole SKU code.")
    list_select_related = ["stock__warehouse", "stock__sku__product", "actor"]
    estimated_count = True
    fields = [
        "created_at",
        "product_name",
        "sku_code",
        "sku_spec",
        "warehouse_name",
        "kind_text",
        "on_hand_delta",
        "reserved_delta",
        "in_transit_delta",
        "reference_label",
        "reference_no",
        "actor_name",
        "note",
    ]
    readonly_fields = fields

    kind_label = choice_label("kind", MOVEMENT_KIND_COLOURS, _("kind"))
    kind_text = choice_text("kind", _("kind"))

    @display(description=_("document type"))
    def reference_label(self, obj):
        return obj.get_reference_type_display()

    @display(description=_("actor"))
    def actor_name(self, obj):
        return person_name(obj.actor)

    @display(description=_("warehouse"))
    def warehouse_name(self, obj):
        return obj.stock.warehouse.name


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


# --- warehouse documents ----------------------------------------------------------------


class PurchaseInboundLineInline(DocumentLineInline):
    model = PurchaseInboundLine


@admin.register(PurchaseInbound)
class PurchaseInboundAdmin(DocumentAdmin):
    list_selector = selectors.purchase_inbound_list
    nav_order = 50
    nav_icon = "move_to_inbox"
    list_display = [
        "document_no",
        "warehouse_name",
        "supplier_name",
        "status_label",
        "created_by_name",
        "created_at",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = ["document_no", "supplier_name"]
    search_help_text = _("Search by document number or supplier.")
    create_fields = ("warehouse", "supplier_name", "note")
    view_fields = (
        "document_no",
        "warehouse_name",
        "supplier_name",
        "status_text",
        "created_by_name",
        "created_at",
        "arrived_at",
        "note",
    )
    inlines = [PurchaseInboundLineInline]
    actions = ["arrive_selected"]
    actions_detail = ["arrive_button"]

    status_label = choice_label("status", DOCUMENT_STATUS_COLOURS)
    status_text = choice_text("status")

    def has_arrive_permission(self, request):
        return request.user.has_perm("dispatch.change_purchaseinbound")

    def create_through_service(self, request, data, lines):
        return services.purchase_inbound_create(
            actor=request.user,
            warehouse=data["warehouse"],
            lines=lines,
            supplier_name=data.get("supplier_name") or "",
            note=data.get("note") or "",
        )

    @workflow_action(
        description=_("Book arrival"),
        permission="dispatch.change_purchaseinbound",
        when=lambda document: document.status == PurchaseInbound.Status.IN_TRANSIT,
        confirm=_("The goods are in the warehouse: their units move from in transit to on hand."),
    )
    def arrive_button(self, request, document):
        services.purchase_inbound_arrive(actor=request.user, document=document)

    @admin.action(description=_("Book arrival"), permissions=["arrive"])
    def arrive_selected(self, request, queryset):
        self.run_each(request, queryset, services.purchase_inbound_arrive)


class TransferLineInline(DocumentLineInline):
    model = TransferLine


@admin.register(Transfer)
class TransferAdmin(DocumentAdmin):
    list_selector = selectors.transfer_list
    nav_order = 55
    nav_icon = "sync_alt"
    list_display = [
        "document_no",
        "from_warehouse_name",
        "to_warehouse_name",
        "status_label",
        "created_by_name",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["document_no"]
    search_help_text = _("Search by document number.")
    create_fields = ("from_warehouse", "to_warehouse", "note")
    view_fields = (
        "document_no",
        "from_warehouse_name",
        "to_warehouse_name",
        "status_text",
        "created_by_name",
        "created_at",
        "received_at",
        "note",
    )
    own_warehouse_field = "from_warehouse"
    inlines = [TransferLineInline]
    actions = ["receive_selected"]
    actions_detail = ["receive_button"]

    status_label = choice_label("status", DOCUMENT_STATUS_COLOURS)
    status_text = choice_text("status")

    @display(description=_("from warehouse"))
    def from_warehouse_name(self, obj):
        return obj.from_warehouse.name

    @display(description=_("to warehouse"))
    def to_warehouse_name(self, obj):
        return obj.to_warehouse.name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "to_warehouse":  # the destination may be any active warehouse
            kwargs["queryset"] = selectors.transfer_destination_list(actor=request.user)
            kwargs.setdefault("widget", UnfoldAdminSelectWidget())
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_receive_permission(self, request):
        return request.user.has_perm("dispatch.change_transfer")

    def create_through_service(self, request, data, lines):
        return services.transfer_create(
            actor=request.user,
            from_warehouse=data["from_warehouse"],
            to_warehouse=data["to_warehouse"],
            lines=lines,
            note=data.get("note") or "",
        )

    def response_add(self, request, obj, post_url_continue=None):
        # The sender may not see the transfer (it belongs to the destination's scope).
        self.message_user(request, _("Transfer %(no)s shipped out.") % {"no": obj.document_no})
        return HttpResponseRedirect("../")

    @workflow_action(
        description=_("Receive at the destination"),
        permission="dispatch.change_transfer",
        when=lambda document: document.status == Transfer.Status.SHIPPED,
        confirm=_("The goods arrived: their units move from in transit to on hand."),
    )
    def receive_button(self, request, document):
        services.transfer_receive(actor=request.user, document=document)

    @admin.action(description=_("Receive at the destination"), permissions=["receive"])
    def receive_selected(self, request, queryset):
        self.run_each(request, queryset, services.transfer_receive)


class StocktakeLineInline(DocumentLineInline):
    model = StocktakeLine
    quantity_field = "counted"
    view_fields = ("product_name", "sku_code", "sku_spec", "book_quantity", "counted", "difference")


@admin.register(Stocktake)
class StocktakeAdmin(DocumentAdmin):
    list_selector = selectors.stocktake_list
    nav_order = 60
    nav_icon = "fact_check"
    list_display = ["document_no", "warehouse_name", "created_by_name", "created_at"]
    list_filter = ["warehouse"]
    search_fields = ["document_no"]
    search_help_text = _("Search by document number.")
    create_fields = ("warehouse", "note")
    view_fields = ("document_no", "warehouse_name", "created_by_name", "created_at", "note")
    inlines = [StocktakeLineInline]

    def create_through_service(self, request, data, lines):
        return services.stocktake_record(
            actor=request.user,
            warehouse=data["warehouse"],
            counts=lines,
            note=data.get("note") or "",
        )


class ReturnReceiptLineInline(DocumentLineInline):
    model = ReturnReceiptLine


@admin.register(ReturnReceipt)
class ReturnReceiptAdmin(DocumentAdmin):
    list_selector = selectors.return_receipt_list
    nav_order = 65
    nav_icon = "assignment_return"
    list_display = ["document_no", "warehouse_name", "order_no", "created_by_name", "created_at"]
    list_filter = ["warehouse"]
    search_fields = ["document_no", "order_no"]
    search_help_text = _("Search by document or order number.")
    create_fields = ("warehouse", "order_no", "note")
    view_fields = (
        "document_no",
        "warehouse_name",
        "order_no",
        "created_by_name",
        "created_at",
        "note",
    )
    inlines = [ReturnReceiptLineInline]

    def create_through_service(self, request, data, lines):
        return services.return_receipt_record(
            actor=request.user,
            warehouse=data["warehouse"],
            order_no=data["order_no"],
            lines=lines,
            note=data.get("note") or "",
        )


class StockSnapshotLineInline(NamesMixin, ReadOnlyInline):
    model = StockSnapshotLine
    fields = [
        "product_name",
        "sku_code",
        "reported_on_hand",
        "book_on_hand",
        "difference",
        "status_text",
    ]
    readonly_fields = fields

    @display(description=_("status"))
    def status_text(self, obj):
        return obj.get_status_display()


@admin.register(StockSnapshot)
class StockSnapshotAdmin(NamesMixin, DispatchAdmin):
    list_selector = selectors.stock_snapshot_list
    nav_order = 70
    nav_icon = "inventory"
    list_display = ["document_no", "warehouse_name", "taken_at", "source_text", "status_label"]
    list_filter = ["status", "warehouse", "source"]
    search_fields = ["document_no"]
    search_help_text = _("Search by document number.")
    create_fields = ("warehouse", "taken_at", "note", "lines_text", "file")
    view_fields = (
        "document_no",
        "warehouse_name",
        "taken_at",
        "source_text",
        "status_text",
        "created_by_name",
        "reconciled_at",
        "note",
    )
    form = SnapshotForm
    inlines = [StockSnapshotLineInline]
    actions = ["reconcile_selected"]
    actions_detail = ["reconcile_button"]

    status_label = choice_label("status", SNAPSHOT_STATUS_COLOURS)
    SOURCES = {"api": _("warehouse system"), "file": _("uploaded file"), "admin": _("typed in")}

    @display(description=_("source"))
    def source_text(self, obj):
        return self.SOURCES.get(obj.source, obj.source)

    status_text = choice_text("status")

    def get_fields(self, request, obj=None):
        return list(self.create_fields) if obj is None else list(self.view_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else list(self.view_fields)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def editable_in_state(self, obj) -> bool:
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reconcile_permission(self, request):
        return request.user.has_perm("dispatch.change_stocksnapshot")

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
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

    @workflow_action(
        description=_("Reconcile now"),
        permission="dispatch.change_stocksnapshot",
        when=lambda document: document.status == StockSnapshot.Status.PENDING,
    )
    def reconcile_button(self, request, document):
        services.stock_snapshot_reconcile(actor=request.user, snapshot_doc=document)

    @admin.action(description=_("Reconcile now"), permissions=["reconcile"])
    def reconcile_selected(self, request, queryset):
        for document in queryset:
            self.run_service(
                request,
                services.stock_snapshot_reconcile,
                actor=request.user,
                snapshot_doc=document,
            )


def _waiting_for_review(line) -> bool:
    return line.status == StockSnapshotLine.Status.NEEDS_REVIEW


@admin.register(StockSnapshotLine)
class StockSnapshotLineAdmin(NamesMixin, DispatchReadOnlyAdmin):
    """The review queue: reported figures too far from the ledger."""

    list_selector = selectors.stock_snapshot_line_list
    nav_order = 75
    nav_icon = "rate_review"
    list_display = [
        "document",
        "product_name",
        "sku_code",
        "reported_on_hand",
        "book_on_hand",
        "difference",
        "status_label",
    ]
    list_filter = ["status"]
    search_fields = ["sku__code", "document__document_no"]
    search_help_text = _("Search by SKU code or document number.")
    fields = [
        "document",
        "product_name",
        "sku_code",
        "sku_spec",
        "reported_on_hand",
        "book_on_hand",
        "difference",
        "status_text",
    ]
    readonly_fields = fields
    actions = ["accept_selected", "reject_selected"]
    actions_detail = ["accept_button", "reject_button"]

    status_label = choice_label("status", SNAPSHOT_LINE_STATUS_COLOURS)
    status_text = choice_text("status")

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

    @workflow_action(
        description=_("Accept: book the difference"),
        permission="dispatch.change_stocksnapshot",
        when=_waiting_for_review,
    )
    def accept_button(self, request, line):
        services.stock_snapshot_line_review(actor=request.user, line=line, accept=True)

    @workflow_action(
        description=_("Reject: keep the ledger figure"),
        permission="dispatch.change_stocksnapshot",
        when=_waiting_for_review,
    )
    def reject_button(self, request, line):
        services.stock_snapshot_line_review(actor=request.user, line=line, accept=False)

    @admin.action(description=_("Accept: book the difference"), permissions=["review"])
    def accept_selected(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description=_("Reject: keep the ledger figure"), permissions=["review"])
    def reject_selected(self, request, queryset):
        self._review(request, queryset, False)
