"""The kernel's filter style: boolean filters take only ``true`` or ``false``."""

import pytest
from django.http import QueryDict

from tests.scopetest.filters import TicketFilter
from tests.scopetest.models import Ticket


def _form(query: str):
    filterset = TicketFilter(QueryDict(query), queryset=Ticket.objects.none())
    return filterset.is_valid(), filterset.form


@pytest.mark.parametrize("value, expected", [("true", True), ("FALSE", False), ("", None)])
def test_a_boolean_filter_reads_true_false_or_nothing(value, expected):
    valid, form = _form(f"is_closed={value}")
    assert valid and form.cleaned_data["is_closed"] is expected


@pytest.mark.parametrize("value", ["maybe", "null", "1", "yes"])
def test_any_other_boolean_value_is_an_error_not_an_ignored_filter(value):
    valid, form = _form(f"is_closed={value}")
    assert not valid and "is_closed" in form.errors
