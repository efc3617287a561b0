"""Sales regions and provinces (reference data)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ServiceModelAdmin, TabularInline

from .. import selectors, services
from ..models import (
    Province,
    SalesRegion,
)


class ProvinceInline(TabularInline):
    model = Province
    fields = ["code", "name", "full_name", "region"]
    readonly_fields = ["code", "name", "full_name", "region"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalesRegion)
class SalesRegionAdmin(ServiceModelAdmin):
    list_selector = selectors.sales_region_list
    list_display = ["code", "name", "sort_order", "province_names"]
    fields = ["code", "name", "sort_order"]
    inlines = [ProvinceInline]

    @admin.display(description=_("provinces"))
    def province_names(self, obj):
        return "、".join(p.name for p in obj.provinces.all())

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.sales_region_save(
            actor=request.user,
            region=obj if change else None,
            code=data["code"],
            name=data["name"],
            sort_order=data["sort_order"],
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Province)
class ProvinceAdmin(ServiceModelAdmin):
    list_selector = selectors.province_list
    list_display = ["code", "name", "full_name", "region"]
    list_filter = ["region"]
    search_fields = ["name", "full_name"]
    fields = ["code", "name", "full_name", "region"]
    readonly_fields = ["code", "name", "full_name"]

    def save_with_service(self, request, obj, form, change):
        return services.province_move(
            actor=request.user,
            province=selectors.province_get(actor=request.user, pk=obj.pk),
            region=form.cleaned_data["region"],
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
