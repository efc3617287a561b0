"""Warehouses, coverage areas, carriers and their cost rules."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from .. import selectors, services
from ..models import (
    Carrier,
    CarrierRule,
    CoverageArea,
    Warehouse,
)
from ._common import (
    DispatchAdmin,
    NamesMixin,
    ReadOnlyInline,
    choice_label,
)

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
