"""Date-time filters take ISO 8601 within the years 1970–2999: a time near the calendar's
ends (which overflows when converted to UTC or local time) is a 400, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.http import QueryDict

from mall.core.filters import FilterSet, IsoDateTimeFilter
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db


class _AuditFilter(FilterSet):
    created_after = IsoDateTimeFilter(field_name="at", lookup_expr="gte")

    class Meta:
        model = AuditEntry
        fields = ["at"]


def test_datetime_model_fields_get_the_kernels_bounded_filter():
    assert isinstance(_AuditFilter.base_filters["at"], IsoDateTimeFilter)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1969-12-31T23:59:59Z",
        "3000-01-01",
    ],
)
def test_a_time_outside_the_years_1970_to_2999_is_refused(value):
    filterset = _AuditFilter(
        QueryDict(f"created_after={quote(value)}"), queryset=AuditEntry.objects.none()
    )
    assert not filterset.is_valid()
    assert "created_after" in filterset.errors


def test_an_ordinary_time_with_an_offset_is_a_valid_filter():
    filterset = _AuditFilter(
        QueryDict(f"created_after={quote('2026-11-29T08:00:00+08:00')}"),
        queryset=AuditEntry.objects.none(),
    )
    assert filterset.is_valid(), filterset.errors


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/tickets/", "/api/v1/risk/cases/"])
def test_the_list_endpoints_answer_400_for_a_time_that_would_overflow(path, make_staff):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(make_staff("dt_reader", superuser=True))
    response = client.get(path, {"created_after": "0001-01-01T00:00:00+14:00"})
    assert response.status_code == 400, response.content
    assert "created_after" in response.json()["error"]["fields"]
