"""Integer model fields filter by whole numbers within the column's database range."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict

from mall.core.filters import FilterSet, WholeNumberFilter
from rbac.models import SalesRegion


class _RegionFilter(FilterSet):
    class Meta:
        model = SalesRegion
        fields = ["id", "sort_order"]  # an auto primary key and a PositiveSmallIntegerField


def test_integer_model_fields_get_the_kernels_whole_number_filter():
    filters = _RegionFilter.base_filters
    assert isinstance(filters["sort_order"], WholeNumberFilter)
    assert isinstance(filters["id"], WholeNumberFilter)
    low, high = connection.ops.integer_field_range("PositiveSmallIntegerField")
    assert (filters["sort_order"].extra["min_value"], filters["sort_order"].extra["max_value"]) == (
        low,
        high,
    )


def test_a_number_beyond_the_columns_database_range_is_refused():
    high = connection.ops.integer_field_range("PositiveSmallIntegerField")[1]
    filterset = _RegionFilter(
        QueryDict(f"sort_order={high + 1}"), queryset=SalesRegion.objects.none()
    )
    assert not filterset.is_valid()


@pytest.mark.parametrize("value", ["0", "7", "32767"])  # 32767: the smallest range (PostgreSQL)
def test_a_whole_number_the_column_holds_is_a_valid_filter(value):
    filterset = _RegionFilter(QueryDict(f"sort_order={value}"), queryset=SalesRegion.objects.none())
    assert filterset.is_valid()
    assert filterset.form.cleaned_data["sort_order"] == int(value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sort_order", "1.5"),
        ("sort_order", "-1"),
        ("sort_order", "1e309"),
        ("sort_order", "NaN"),
        ("id", str(10**30)),
        ("id", str(2**63)),
    ],
)
def test_a_fraction_or_a_number_the_column_cannot_hold_is_refused(name, value):
    filterset = _RegionFilter(QueryDict(f"{name}={value}"), queryset=SalesRegion.objects.none())
    assert not filterset.is_valid()
    assert name in filterset.errors
