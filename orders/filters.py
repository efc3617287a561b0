"""Query filters of the staff order list (``mall.core.filters`` style).

``/api/v1/orders/?status=&region=&channel=&created_after=&created_before=&q=&tab=``:

* ``region`` and ``channel`` are codes people type (``east``, ``own_store``);
* ``q`` is an order number (exact or its beginning, case-insensitive — served by
  the ``UPPER(order_no)`` index) or a member's full mobile number (matched by the
  keyed lookup hash of what was typed, never by the encrypted column);
* ``tab`` is one of the tabs of seed 003: ``all``, ``pending_review``, ``to_ship``
  (approved or warehouse-approved), ``shipped`` (shipped or delivered),
  ``after_sale`` (an after-sales case is open), ``frozen``.

The rows filtered are the list selector's, already inside the caller's scope.
"""

from __future__ import annotations

import re

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mall.core.filters import FilterSet, IsoDateTimeFilter, StrictBooleanFilter

from .models import AfterSale, Order, OrderLine

S = Order.Status
PHONE = re.compile(r"^1\d{10}$")
OPEN_AFTER_SALE = (
    AfterSale.Status.REQUESTED,
    AfterSale.Status.APPROVED,
    AfterSale.Status.RETURNING,
    AfterSale.Status.RECEIVED,
    AfterSale.Status.REFUNDING,
    AfterSale.Status.RESHIPPING,
    AfterSale.Status.DISPUTED,
)
TABS = {
    "all": None,
    "pending_review": {"status": S.PENDING_REVIEW},
    "to_ship": {"status__in": (S.APPROVED, S.ALLOCATED)},
    "shipped": {"status__in": (S.SHIPPED, S.DELIVERED)},
    "after_sale": "after_sale",
    "frozen": {"is_frozen": True},
}


@extend_schema_field(OpenApiTypes.STR)
class StatusChoiceFilter(django_filters.ChoiceFilter):
    """An order status (validated against ``Order.Status``; a string in the schema, so
    the schema's ``status`` enums of other apps keep their names)."""


class OrderFilter(FilterSet):
    """The staff order list's filters (see the module docstring)."""

    status = StatusChoiceFilter(choices=S.choices, label=_("status"))
    region = django_filters.CharFilter(
        field_name="region__code", max_length=20, label=_("sales region code")
    )
    channel = django_filters.CharFilter(
        field_name="channel__code", max_length=30, label=_("channel code")
    )
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("placed from")
    )
    created_before = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("placed before")
    )
    frozen = StrictBooleanFilter(field_name="is_frozen", label=_("frozen"))
    held = StrictBooleanFilter(field_name="is_review_held", label=_("held at review"))
    q = django_filters.CharFilter(
        method="filter_q", max_length=24, label=_("order number or member phone")
    )
    tab = django_filters.ChoiceFilter(
        method="filter_tab", choices=[(key, key) for key in TABS], label=_("tab")
    )

    class Meta:
        model = Order
        fields = [
            "status",
            "region",
            "channel",
            "created_after",
            "created_before",
            "frozen",
            "held",
            "q",
            "tab",
        ]

    def filter_q(self, queryset, name, value):
        """An order number (exact or prefix) or a member's full mobile number."""
        value = (value or "").strip()
        if not value:
            return queryset
        if PHONE.match(value):
            from members.crypto import lookup_hash

            # The keyed hash of the typed number, never the encrypted column; the
            # orders searched are the reader's (already scoped).
            return queryset.filter(member__phone_hash=lookup_hash(value))
        return queryset.filter(order_no__istartswith=value)

    def filter_tab(self, queryset, name, value):
        condition = TABS.get(value)
        if condition is None:
            return queryset
        if condition == "after_sale":
            open_cases = AfterSale.objects.filter(
                order_id=OuterRef("pk"), status__in=OPEN_AFTER_SALE
            )
            return queryset.filter(Exists(open_cases))
        return queryset.filter(**condition)


class OrderLineFilter(FilterSet):
    """The packing list's filters: ``?order=<order no>&status=&region=&channel=&created_after=
    &created_before=`` (the order's status, region, channel and placing time)."""

    order = django_filters.CharFilter(field_name="order__order_no", max_length=24)
    status = StatusChoiceFilter(field_name="order__status", choices=S.choices)
    region = django_filters.CharFilter(field_name="order__region__code", max_length=20)
    channel = django_filters.CharFilter(field_name="order__channel__code", max_length=30)
    created_after = IsoDateTimeFilter(field_name="order__created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="order__created_at", lookup_expr="lt")

    class Meta:
        model = OrderLine
        fields = ["order", "status", "region", "channel", "created_after", "created_before"]
