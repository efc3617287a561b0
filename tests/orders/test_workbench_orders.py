"""Orders on the workbench: trade figures in the reader's scope, review queue, late clocks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ops.workbench import workbench
from orders.models import Order
from orders.workbench_items import orders_per_day, review_waiting_count, trade_stats

pytestmark = pytest.mark.django_db


@pytest.fixture
def east_ops(make_staff):
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    user = make_staff("wb_east")
    role = rbac_services.role_create(
        actor=system_actor(),
        code="wb_east_t",
        name="华东运营",
        scope_kind=ScopeKind.REGIONS,
        permissions=["orders.view_order", "orders.review_order"],
        regions=list(SalesRegion.objects.filter(code="east")),
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def trade(make_member, make_order, stocked_sku):
    """East: today 2 paid (198.00 + 99.00, 50.00 refunded) + 1 unpaid, 3 days ago 1 paid
    (99.00), 1 brushed paid; north: 1 paid today (left out for an east reader)."""
    member = make_member()
    sku = stocked_sku(where=("WH-SH", "WH-BJ"))
    east = []
    a = make_order(member, [(sku, 2)], status="pending_review")
    b = make_order(member, [(sku, 1)], status="pending_review")
    Order.objects.filter(pk=b.pk).update(refunded_amount=Decimal("50.00"))
    c = make_order(member, [(sku, 1)], status="pending_payment")
    d = make_order(member, [(sku, 1)], status="completed")
    Order.objects.filter(pk=d.pk).update(created_at=timezone.now() - timedelta(days=3))
    brushed = make_order(member, [(sku, 5)], status="completed", is_brushed=True)
    north = make_order(member, [(sku, 1)], status="pending_review", province_name="北京")
    east += [a, b, c, d]
    return {"east": east, "brushed": brushed, "north": north}


def test_trade_figures_count_the_readers_region_and_leave_brushed_orders_out(east_ops, trade):
    stats = trade_stats(actor=east_ops)

    assert stats["orders_today"] == 3
    assert stats["orders_7d"] == 4
    assert stats["paid_7d"] == 3
    assert stats["gmv_today"] == Decimal("297.00")
    assert stats["gmv_7d"] == Decimal("396.00")
    assert stats["conversion_7d"] == Decimal("0.75")
    assert stats["aov_7d"] == Decimal("132.00")
    assert stats["refund_rate_7d"].quantize(Decimal("0.0001")) == Decimal("0.1263")


def test_a_superuser_sees_every_region_but_still_no_brushed_orders(superuser, trade):
    stats = trade_stats(actor=superuser)
    assert stats["orders_7d"] == 5
    assert stats["gmv_7d"] == Decimal("495.00")


def test_orders_waiting_for_review_exclude_held_ones_and_other_regions(east_ops, trade):
    assert review_waiting_count(actor=east_ops) == 2
    Order.objects.filter(pk=trade["east"][0].pk).update(is_review_held=True)
    assert review_waiting_count(actor=east_ops) == 1


def test_the_chart_counts_orders_placed_and_paid_per_day(east_ops, trade):
    data = orders_per_day(actor=east_ops)
    assert len(data.labels) == 7
    placed = dict(data.series)
    values = list(placed.values())
    assert values[0][-1] == 3 and values[1][-1] == 2  # today: placed 3, paid 2
    assert values[0][-4] == 1 and values[1][-4] == 1  # three days ago
    assert sum(values[0]) == 4


def test_the_workbench_shows_the_tiles_to_order_readers_only(east_ops, make_staff, trade):
    board = workbench(actor=east_ops)
    tiles = {tile["key"]: tile for tile in board["tiles"]}
    assert tiles["orders.gmv_today"]["count"] == "¥297.00"
    assert tiles["orders.review_waiting"]["count"] == 2
    assert tiles["orders.review_waiting"]["link"].endswith("?tab=pending_review")
    assert not any(tile["error"] for tile in board["tiles"] if tile["key"].startswith("orders."))
    assert "orders.per_day" in {chart["key"] for chart in board["charts"]}

    stranger = make_staff("no_orders")
    keys = {tile["key"] for tile in workbench(actor=stranger)["tiles"]}
    assert not {key for key in keys if key.startswith("orders.")}


def test_the_tile_links_open_the_order_list(admin_client_for, east_ops, trade):
    client = admin_client_for(east_ops)
    for tile in workbench(actor=east_ops)["tiles"]:
        if tile["key"].startswith("orders.") and tile["link"]:
            if "slaclock" in tile["link"]:
                continue
            response = client.get(tile["link"])
            assert response.status_code == 200, tile["link"]
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "今日成交额" in index.content.decode()
