"""A strict boolean filter accepts only ``true``/``false`` from a query string."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from mall.core.filters import FilterSet, StrictBooleanFilter
from tests.scopetest.models import Ticket


class _ClosedFilter(FilterSet):
    is_closed = StrictBooleanFilter()

    class Meta:
        model = Ticket
        fields = ["is_closed"]


@pytest.mark.parametrize(
    ("query", "expected"), [("is_closed=true", True), ("is_closed=FALSE", False), ("", None)]
)
def test_true_false_or_nothing_is_a_valid_filter(query, expected):
    filterset = _ClosedFilter(QueryDict(query), queryset=Ticket.objects.none())
    assert filterset.is_valid()
    assert filterset.form.cleaned_data["is_closed"] is expected


@pytest.mark.parametrize("value", ["maybe", "1", "yes", "on"])
def test_any_other_value_is_refused_rather_than_read_as_no_filter(value):
    filterset = _ClosedFilter(QueryDict(f"is_closed={value}"), queryset=Ticket.objects.none())
    assert not filterset.is_valid()
    assert "is_closed" in filterset.errors
