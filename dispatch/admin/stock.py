"""Stock figures and the stock ledger."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from mall.core.exports import ExportColumn, export_response
from mall.core.people import person_name

from .. import selectors, services
from ..availability import below_safety_stock_q
from ..models import (
    Stock,
    StockMovement,
)
from ._common import (
    MOVEMENT_KIND_COLOURS,
    DispatchAdmin,
    DispatchReadOnlyAdmin,
    NamesMixin,
    choice_label,
    choice_text,
    sku_search_view,
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
