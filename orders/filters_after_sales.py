"""Query filters of the after-sales and review lists (staff API; ``mall.core.filters`` style).

``?status=&kind=&reason=&region=<code>&created_after=&created_before=&q=<case or order
number>`` on after-sales cases; ``?status=&rating=&negative=true&replied=false&
region=<code>&product=<id>`` on reviews. The rows filtered are the list selector's,
already inside the caller's scope.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mall.core.filters import FilterSet, IsoDateTimeFilter, StrictBooleanFilter, WholeNumberFilter

from .models import AfterSale, Review


class AfterSaleFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=AfterSale.Status.choices)
    kind = django_filters.ChoiceFilter(choices=AfterSale.Kind.choices)
    reason = django_filters.ChoiceFilter(choices=AfterSale.Reason.choices)
    region = django_filters.CharFilter(
        field_name="region__code", max_length=20, label=_("sales region code")
    )
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="filter_q", max_length=24, label=_("after-sales or order number")
    )

    class Meta:
        model = AfterSale
        fields = ["status", "kind", "reason", "region", "created_after", "created_before", "q"]

    def filter_q(self, queryset, name, value):
        """An exact after-sales number or order number (case-insensitive; indexed)."""
        number = value.strip().upper()
        if not number:
            return queryset
        return queryset.filter(Q(case_no=number) | Q(order__order_no=number))


class ReviewFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Review.Status.choices)
    rating = WholeNumberFilter(min_value=1, max_value=5)
    negative = StrictBooleanFilter(method="filter_negative", label=_("negative (≤ 2 stars)"))
    replied = StrictBooleanFilter(method="filter_replied", label=_("answered"))
    region = django_filters.CharFilter(
        field_name="region__code", max_length=20, label=_("sales region code")
    )
    product = WholeNumberFilter(field_name="product_id", min_value=1, max_value=2**31 - 1)

    class Meta:
        model = Review
        fields = ["status", "rating", "negative", "replied", "region", "product"]

    def filter_negative(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(rating__lte=2) if value else queryset.filter(rating__gt=2)

    def filter_replied(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(reply_text="") if value else queryset.filter(reply_text="")
