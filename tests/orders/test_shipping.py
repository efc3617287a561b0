# ruff: noqa: F811
"""Shipping: per shipment waybill, clocks, stock figures, clerks' warehouses, batch,
promotion calendar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.exceptions import (
    InvalidOrderInput,
    OrderFrozen,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from orders.models import Order, OrderEvent
from orders.services.shipping import (
    order_ship,
    orders_ship_batch,
    promotion_period_delete,
    promotion_period_save,
)
from tests.orders.fulfilment_support import (  # noqa: F401
    SHIP_PERMS,
    buyer,
    clocks,
    make_ops,
    running_clock,
    shipments_of,
    shipper,
    waybills_for,
)

pytestmark = pytest.mark.django_db


def _ship_clock(order, *, hours_ago: int = 0):
    from mall.core.actors import system_actor
    from ops.services.sla import sla_clock_start

    return sla_clock_start(
        kind="order.ship",
        subject=order,
        actor=system_actor(),
        started_at=timezone.now() - timedelta(hours=hours_ago),
        region=order.region_id,
    )


def test_shipping_every_parcel_ships_the_order_moves_stock_and_swaps_the_clocks(
    make_order, stocked_sku, buyer, shipper
):
    from dispatch.models import Stock

    sku = stocked_sku(10)
    order = make_order(buyer, [(sku, 3)], status="allocated")
    _ship_clock(order, hours_ago=2)

    shipped = order_ship(actor=shipper, order=order, waybills=waybills_for(order))

    assert shipped.status == Order.Status.SHIPPED and shipped.shipped_at is not None
    stock = Stock.objects.get(sku=sku)
    assert (stock.on_hand, stock.reserved) == (7, 0)
    assert [s.status for s in shipments_of(order)] == ["shipped"]
    assert clocks("order.ship", order)[-1].status == "met"
    auto = running_clock("order.auto_confirm", order)
    assert auto is not None and auto.due_at - auto.started_at == timedelta(days=15)
    types = list(OrderEvent.objects.filter(order=order).values_list("type", flat=True))
    assert types == ["waybill", "ship"]


def test_a_ship_after_24_hours_breaches_the_ship_clock(make_order, stocked_sku, buyer, shipper):
    order = make_order(buyer, [(stocked_sku(), 1)], status="approved")
    _ship_clock(order, hours_ago=25)

    order_ship(actor=shipper, order=order, waybills=waybills_for(order))

    assert clocks("order.ship", order)[-1].status == "breached"


def test_a_split_order_ships_when_its_last_parcel_leaves(
    make_order, stocked_sku, buyer, make_ops, actor
):
    sku = stocked_sku(1, where=("WH-SH", "WH-BJ"))
    order = make_order(buyer, [(sku, 2)], status="allocated")
    first, second = shipments_of(order)
    everywhere = make_ops("all-ship", perms=SHIP_PERMS, regions=None)

    after_one = order_ship(actor=everywhere, order=order, waybills={first.pk: ("SF1", None)})
    assert after_one.status == Order.Status.ALLOCATED
    after_two = order_ship(actor=everywhere, order=order, waybills={second.pk: ("SF2", "sf")})
    assert after_two.status == Order.Status.SHIPPED


def test_a_clerk_ships_their_warehouse_but_not_another_warehouses_parcel(
    make_order, stocked_sku, buyer, clerk, actor
):
    from dispatch.exceptions import DispatchNotFound
    from rbac import services as rbac_services

    for perm in ("orders.view_order", "orders.ship_order"):
        rbac_services.user_permission_add(actor=actor, user=clerk, perm=perm)
    own = make_order(buyer, [(stocked_sku(5), 1)], status="allocated")
    rbac_services.object_permission_grant(
        actor=actor, user=clerk, perm="orders.work_channel", obj=own.channel
    )
    clerk = type(clerk).objects.get(pk=clerk.pk)
    other = make_order(buyer, [(stocked_sku(5, where=("WH-BJ",)), 1)], status="allocated")
    assert shipments_of(other)[0].warehouse.code == "WH-BJ"

    with pytest.raises(DispatchNotFound):
        order_ship(actor=clerk, order=other, waybills=waybills_for(other))
    assert Order.objects.get(pk=other.pk).status == Order.Status.ALLOCATED
    assert shipments_of(other)[0].status == "pending"

    assert order_ship(actor=clerk, order=own, waybills=waybills_for(own)).status == "shipped"


def test_shipping_refuses_wrong_states_frozen_orders_foreign_parcels_and_missing_permission(
    make_order, stocked_sku, buyer, shipper, make_ops
):
    sku = stocked_sku()
    pending = make_order(buyer, [(sku, 1)], status="pending_review")
    with pytest.raises(OrderStateConflict):
        order_ship(actor=shipper, order=pending, waybills=waybills_for(pending))
    frozen = make_order(buyer, [(sku, 1)], status="allocated", is_frozen=True)
    with pytest.raises(OrderFrozen):
        order_ship(actor=shipper, order=frozen, waybills=waybills_for(frozen))
    order = make_order(buyer, [(sku, 1)], status="allocated")
    with pytest.raises(InvalidOrderInput):
        order_ship(actor=shipper, order=order, waybills=waybills_for(frozen))
    with pytest.raises(OrdersPermissionDenied):
        order_ship(
            actor=make_ops("no-ship", perms=("orders.view_order",)),
            order=order,
            waybills=waybills_for(order),
        )
    assert Order.objects.get(pk=order.pk).status == Order.Status.ALLOCATED


def test_batch_shipping_reports_done_and_failed(make_order, stocked_sku, buyer, shipper):
    sku = stocked_sku()
    good = make_order(buyer, [(sku, 1)], status="allocated")
    frozen = make_order(buyer, [(sku, 1)], status="allocated", is_frozen=True)

    result = orders_ship_batch(
        actor=shipper, shipments={good: waybills_for(good), frozen: waybills_for(frozen)}
    )

    assert [o.order_no for o in result.done] == [good.order_no]
    assert list(result.failed) == [frozen.order_no]
    assert Order.objects.get(pk=frozen.pk).status == Order.Status.ALLOCATED


def test_the_promotion_calendar_is_audited_and_needs_its_permission(make_ops):
    from ops.models import AuditEntry
    from orders.services.review import order_in_promotion

    planner = make_ops("planner", perms=("orders.change_promotionperiod",))
    now = timezone.now()
    with pytest.raises(OrdersPermissionDenied):
        promotion_period_save(
            actor=make_ops("nobody", perms=()),
            name="618",
            starts_at=now,
            ends_at=now + timedelta(days=1),
        )
    with pytest.raises(InvalidOrderInput):
        promotion_period_save(actor=planner, name="618", starts_at=now, ends_at=now)

    period = promotion_period_save(
        actor=planner, name="618", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(1)
    )
    assert order_in_promotion(now=now) is True
    promotion_period_save(
        actor=planner,
        period=period,
        name="618 大促",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=3),
    )
    assert order_in_promotion(now=now) is False
    promotion_period_delete(actor=planner, period=period)
    actions = list(
        AuditEntry.objects.filter(action__startswith="promotion_period.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "promotion_period.create",
        "promotion_period.update",
        "promotion_period.delete",
    ]
