"""FilterSets of the catalog's list endpoints (the kernel's one filter style).

Query parameter names are the API's contract (docs/CATALOG.md): products
``?status=&category=&owner=&q=``, SKUs ``?product=&code=``, storefront products
``?category=&q=``. A bad value is a 400 in the API error shape; a related row
outside the reader's scope answers like one that does not exist.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mall.core.filters import FilterSet, WholeNumberFilter

from .models import (
    Category,
    CategoryChangeRequest,
    Product,
    ProductImport,
    PromotionPrice,
    Sku,
)

SEARCH_MAX_LENGTH = 100


def _in_branch(queryset: QuerySet[Product], category_id: int) -> QuerySet[Product]:
    """Products in ``category_id`` or any category below it (the tree has three levels)."""
    return queryset.filter(
        Q(category_id=category_id)
        | Q(category__parent_id=category_id)
        | Q(category__parent__parent_id=category_id)
    )


class ProductFilter(FilterSet):
    """Staff product list and export.

    ``category`` is a category of any level (its whole branch); ``q`` searches
    title, code and brand (substring) and SKU codes (exact).
    """

    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), method="filter_category", label=_("category")
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_staff=True),
        label=_("owner (ops specialist)"),
    )
    q = django_filters.CharFilter(
        method="filter_q", max_length=SEARCH_MAX_LENGTH, label=_("search")
    )

    class Meta:
        model = Product
        fields = ["status", "category", "owner", "q"]

    def filter_category(self, queryset, name, value):
        return _in_branch(queryset, value.pk)

    def filter_q(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        sku_code = Sku.objects.filter(product=OuterRef("pk"), code=text)
        return queryset.filter(
            Q(title__icontains=text)
            | Q(code__icontains=text)
            | Q(brand__icontains=text)
            | Exists(sku_code)
        )


class SkuFilter(FilterSet):
    """``?product=<id>`` (in scope) and ``?code=<exact SKU code>``."""

    code = django_filters.CharFilter(max_length=40, label=_("SKU code"))

    class Meta:
        model = Sku
        fields = ["product", "code", "is_available"]


class PromotionFilter(FilterSet):
    class Meta:
        model = PromotionPrice
        fields = ["sku", "status"]


class CategoryFilter(FilterSet):
    level = WholeNumberFilter(min_value=1, max_value=Category.MAX_LEVEL, label=_("level"))

    class Meta:
        model = Category
        fields = ["level", "parent", "is_active"]


class CategoryChangeFilter(FilterSet):
    class Meta:
        model = CategoryChangeRequest
        fields = ["status", "kind"]


class ProductImportFilter(FilterSet):
    class Meta:
        model = ProductImport
        fields = ["status"]


class StoreProductFilter(FilterSet):
    """Storefront: ``category`` of any level (an unknown id finds nothing), ``q`` text.

    ``q`` searches title, subtitle and brand. ``category`` stays a plain number:
    a guest asking for a category that is gone (or inactive) gets an empty page,
    as before, not an error.
    """

    category = WholeNumberFilter(
        method="filter_category", min_value=1, max_value=2**31 - 1, label=_("category")
    )
    q = django_filters.CharFilter(
        method="filter_q", max_length=SEARCH_MAX_LENGTH, label=_("search")
    )

    class Meta:
        model = Product
        fields = ["category", "q"]

    def filter_category(self, queryset, name, value):
        return _in_branch(queryset, value)

    def filter_q(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(title__icontains=text) | Q(subtitle__icontains=text) | Q(brand__icontains=text)
        )
