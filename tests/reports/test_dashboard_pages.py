"""The dashboard through the staff API and the admin page: shapes, scope, bad input."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ops.reports import selectors
from orders.models import Order

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/dashboard/"


@pytest.fixture
def recent(trade):
    """The trade moved into the last 7 days (placed at the start of the 7-day window)."""
    Order.objects.update(created_at=selectors.period_window("7d").start)
    return trade


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_api_dashboard_answers_the_readers_figures_with_money_as_strings(
    all_reader, recent, staff_client
):
    response = staff_client(all_reader).get(URL, {"period": "7d"})

    assert response.status_code == 200
    body = response.json()
    # both weeks moved into the last 7 days: 12 orders, the 2 brushed ones out
    assert body["current"]["orders"] == 10
    assert body["current"]["gmv"] == "630.00"  # 460 + 170
    assert body["cards"]["last_30_days"]["current"]["gmv"] == "630.00"
    assert [row["code"] for row in body["by_region"]] == ["east", "north"]
    assert len(body["trend"]) == 30


def test_a_regional_reader_cannot_read_another_regions_figures_through_the_api_filter(
    east_reader, recent, staff_client
):
    client = staff_client(east_reader)

    own = client.get(URL, {"period": "7d"}).json()
    other = client.get(URL, {"period": "7d", "region": "north"}).json()
    unknown = client.get(URL, {"period": "7d", "region": "nowhere"}).json()

    assert own["current"]["gmv"] == "280.00"  # east: 180 this week + 100 the week before
    assert [row["code"] for row in own["by_region"]] == ["east"]
    for answer in (other, unknown):
        assert answer["current"]["orders"] == 0
        assert answer["current"]["gmv"] == "0.00"
        assert answer["by_region"] == [] and answer["by_channel"] == []
        assert answer["cards"]["last_30_days"]["current"]["new_members"] == 0


@pytest.mark.parametrize(
    "query",
    [
        {"period": "year"},
        {"region": "a" * 31},
        {"channel": "<script>"},
        {"region": "east' OR 1=1"},
    ],
)
def test_bad_dashboard_input_is_a_400_in_the_error_shape(all_reader, staff_client, query):
    response = staff_client(all_reader).get(URL, query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_empty_filters_mean_no_filter(all_reader, recent, staff_client):
    response = staff_client(all_reader).get(URL, {"period": "", "region": "", "channel": ""})

    assert response.status_code == 200
    assert response.json()["period"] == "7d"


def test_the_api_dashboard_needs_the_dashboard_permission(no_perm_reader, staff_client):
    assert staff_client(no_perm_reader).get(URL).status_code == 403


def test_the_admin_dashboard_shows_a_regional_reader_only_their_region(east_reader, recent):
    response = _client(east_reader).get(reverse("admin:reports_dashboard"), {"period": "7d"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="east"' in page
    assert 'value="north"' not in page
    assert "¥280.00" in page
    assert 'data-chart="trend-gmv"' in page


def test_the_admin_dashboard_refuses_a_region_outside_the_readers_scope(east_reader, recent):
    response = _client(east_reader).get(
        reverse("admin:reports_dashboard"), {"period": "7d", "region": "north"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "¥280.00" in page  # the unfiltered view of their own scope, not north's figures
    assert "¥350.00" not in page  # north's GMV (280 this week + 70 the week before)


def test_the_admin_dashboard_is_forbidden_without_the_permission(no_perm_reader):
    response = _client(no_perm_reader).get(reverse("admin:reports_dashboard"))
    assert response.status_code == 403


def test_the_yesterday_gmv_tile_counts_only_the_readers_region(east_reader, all_reader, trade):
    from datetime import timedelta

    from django.utils import timezone

    from ops.workbench import workbench

    yesterday = selectors.period_window("today").start - timedelta(days=1)
    Order.objects.update(created_at=yesterday + timedelta(hours=12))

    def tile(actor):
        tiles = {t["key"]: t for t in workbench(actor=actor)["tiles"]}
        return tiles["reports.gmv_yesterday"]["count"]

    assert timezone.localdate(yesterday) == timezone.localdate() - timedelta(days=1)
    assert tile(east_reader) == "¥280.00"  # east: 100 + 50 + 30 + 40 + 60
    assert tile(all_reader) == "¥630.00"
