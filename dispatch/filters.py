"""Query filters of the dispatch list endpoints (the model example of ``mall.core.filters``).

People type codes, not ids: ``?warehouse=WH-SH``, ``?sku=DEMO-001``. Booleans are
strict (``true``/``false``; anything else is a 400). The kernel's
``ScopedFilterBackend`` validates the query string with these classes; the rows
filtered are the list selector's, already inside the caller's scope, so a code
outside the scope simply matches nothing (as a code that does not exist).
"""

from __future__ import annotations

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from mall.core.filters import FilterSet, StrictBooleanFilter

from .models import Allocation, Shipment, Stock, StockMovement


class StockFilter(FilterSet):
    """``?warehouse=<code>&sku=<code>&low=true``."""

    warehouse = django_filters.CharFilter(
        field_name="warehouse__code", max_length=20, label=_("warehouse code")
    )
    sku = django_filters.CharFilter(field_name="sku__code", max_length=40, label=_("SKU code"))
    low = StrictBooleanFilter(method="filter_low", label=_("below safety stock"))

    class Meta:
        model = Stock
        fields = ["warehouse", "sku", "low"]

    def filter_low(self, queryset, name, value):
        """``true``: rows whose sellable units are below their safety stock (``false``: all)."""
        if not value:
            return queryset
        return queryset.filter(safety_stock__gt=0, sellable__lt=F("safety_stock"))


class StockMovementFilter(FilterSet):
    """``?warehouse=<code>&sku=<code>&kind=<kind>&reference_no=<document no>``."""

    warehouse = django_filters.CharFilter(
        field_name="stock__warehouse__code", max_length=20, label=_("warehouse code")
    )
    sku = django_filters.CharFilter(
        field_name="stock__sku__code", max_length=40, label=_("SKU code")
    )
    kind = django_filters.ChoiceFilter(choices=StockMovement.Kind.choices)
    reference_no = django_filters.CharFilter(max_length=64)

    class Meta:
        model = StockMovement
        fields = ["warehouse", "sku", "kind", "reference_no"]


class AllocationFilter(FilterSet):
    """``?order_no=<order number>``."""

    order_no = django_filters.CharFilter(max_length=40)

    class Meta:
        model = Allocation
        fields = ["order_no"]


class ShipmentFilter(FilterSet):
    """``?status=<status>&warehouse=<code>&order_no=<order number>&is_stale=true|false``."""

    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices)
    warehouse = django_filters.CharFilter(
        field_name="warehouse__code", max_length=20, label=_("warehouse code")
    )
    order_no = django_filters.CharFilter(max_length=40)
    is_stale = StrictBooleanFilter()

    class Meta:
        model = Shipment
        fields = ["status", "warehouse", "order_no", "is_stale"]
