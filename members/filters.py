"""FilterSets of the members API (the kernel's one filter style, ``mall.core.filters``).

Parameter names are part of the API (docs/API.md): the staff member list takes
``phone`` (the full number), ``level`` (code), ``status`` and ``region`` (code).
A phone is never matched against a stored column from the query string: the
filter asks ``member_search_by_phone``, which normalises the number, looks up its
hash (a partial number matches nobody), audits the search and rate limits it.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mall.core.filters import FilterSet

from .models import (
    Address,
    Coupon,
    CouponTemplate,
    GrowthEntry,
    GrowthReason,
    Member,
    PointsEntry,
    PointsReason,
)
from .services.phone_search import member_search_by_phone


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ChoiceFilter):
    """A status code validated against its choices (an unknown code is a 400); a string
    in the schema, where an empty value means "no filter" as on every list."""


class MemberFilter(FilterSet):
    """``?phone=`` (full number, exact), ``?level=VIP3``, ``?status=``, ``?region=east``."""

    phone = django_filters.CharFilter(
        method="filter_phone", max_length=20, label=_("Full phone number (exact).")
    )
    level = django_filters.CharFilter(
        field_name="level__code", max_length=10, label=_("Level code, e.g. VIP3.")
    )
    status = CodeChoiceFilter(choices=Member.Status.choices)
    region = django_filters.CharFilter(
        field_name="region__code", max_length=20, label=_("Sales region code.")
    )

    class Meta:
        model = Member
        fields = ["phone", "level", "status", "region"]

    def filter_phone(self, queryset, name, value):
        # Audited and rate limited per staff user (members/services/phone_search.py).
        member = member_search_by_phone(
            actor=self.request.user, phone=value, context=f"api {self.request.path}"
        )
        return queryset.filter(pk=member.pk) if member is not None else queryset.none()


class AddressFilter(FilterSet):
    """``?member=<id>`` (a member in scope), ``?region=<code>`` (the address's region)."""

    region = django_filters.CharFilter(field_name="region__code", max_length=20)

    class Meta:
        model = Address
        fields = ["member", "region"]


class PointsEntryFilter(FilterSet):
    """``?reason=sign_in`` … on a points ledger."""

    reason = django_filters.ChoiceFilter(choices=PointsReason.choices)

    class Meta:
        model = PointsEntry
        fields = ["reason"]


class GrowthEntryFilter(FilterSet):
    """``?reason=purchase`` … on a growth ledger."""

    reason = django_filters.ChoiceFilter(choices=GrowthReason.choices)

    class Meta:
        model = GrowthEntry
        fields = ["reason"]


class CouponFilter(FilterSet):
    """``?status=available`` … on a coupon wallet."""

    status = CodeChoiceFilter(choices=Coupon.Status.choices)

    class Meta:
        model = Coupon
        fields = ["status"]


class CouponTemplateFilter(FilterSet):
    """``?kind=amount_off|percent_off|free_shipping``."""

    kind = django_filters.ChoiceFilter(choices=CouponTemplate.Kind.choices)

    class Meta:
        model = CouponTemplate
        fields = ["kind"]
