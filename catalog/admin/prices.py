"""SKUs, price history and promotion prices (30-day lowest-price rule)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.core.admin import (
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    TabularInline,
    person_column,
)

from .. import permissions as perms
from .. import selectors, services
from ..models import (
    PromotionPrice,
    Sku,
    SkuPriceChange,
)


class PriceChangeInline(TabularInline):
    model = SkuPriceChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "old_price_amount", "new_price_amount", "changed_by_name", "reason"]
    readonly_fields = fields
    changed_by_name = person_column("changed_by", _("changed by"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Sku)
class SkuAdmin(ReadOnlyModelAdmin):
    """SKUs are edited on their product; here they are searched, with the price history."""

    list_display = ["code", "product", "price_amount", "cost_amount", "is_available"]
    search_fields = ["code", "product__code", "product__title"]
    list_filter = ["is_available", "product__status"]
    list_select_related = ["product"]
    inlines = [PriceChangeInline]

    def get_queryset(self, request):
        return selectors.sku_list(actor=request.user)


@admin.register(SkuPriceChange)
class SkuPriceChangeAdmin(ReadOnlyModelAdmin):
    list_display = ["sku", "old_price_amount", "new_price_amount", "changed_by_name", "changed_at"]
    fields = [
        "sku",
        "old_price_amount",
        "new_price_amount",
        "changed_by_name",
        "changed_at",
        "reason",
    ]
    search_fields = ["sku__code"]
    list_select_related = ["sku", "changed_by"]
    date_hierarchy = "changed_at"
    changed_by_name = person_column("changed_by", _("changed by"))

    def get_queryset(self, request):
        return selectors.sku_price_change_list(actor=request.user)


class PromotionForm(forms.ModelForm):
    class Meta:
        model = PromotionPrice
        fields = ["sku", "price_amount", "starts_at", "ends_at", "note"]


@admin.register(PromotionPrice)
class PromotionPriceAdmin(ServiceModelAdmin):
    form = PromotionForm
    list_display = [
        "sku",
        "price_amount",
        "reference_price_amount",
        "starts_at",
        "ends_at",
        "status",
        "created_by_name",
    ]
    list_filter = ["status"]
    search_fields = ["sku__code"]
    list_select_related = ["sku", "created_by"]
    created_by_name = person_column("created_by", _("created by"))
    autocomplete_fields = ["sku"]
    actions = ["cancel_selected"]

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return selectors.promotion_list(actor=request.user)

    def has_cancel_permission(self, request):
        return request.user.has_perm(perms.CHANGE_PROMOTION)

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.promotion_price_create(
            actor=request.user,
            sku=data["sku"],
            price_amount=data["price_amount"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            note=data.get("note") or "",
        )

    @admin.action(description=_("Cancel selected promotion prices"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        for promotion in queryset:
            self.run_service(
                request,
                services.promotion_price_cancel,
                actor=request.user,
                promotion=promotion,
                success=_("Promotion #%(id)s cancelled.") % {"id": promotion.pk},
            )
