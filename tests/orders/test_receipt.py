# ruff: noqa: F811
"""Delivery (dispatch's hook) and receipt: the order completes, growth and points are
granted once on what was paid minus refunds, the auto-confirm clock stops."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from orders.exceptions import OrderFrozen, OrderNotFound, OrdersPermissionDenied, OrderStateConflict
from orders.models import Order
from orders.services.shipping import order_confirm_receipt, order_ship
from tests.orders.fulfilment_support import (  # noqa: F401
    buyer,
    clocks,
    make_ops,
    running_clock,
    shipments_of,
    shipper,
    waybills_for,
)

pytestmark = pytest.mark.django_db


def _shipped(make_order, buyer, shipper, lines, **fields):
    order = make_order(buyer, lines, status="allocated", **fields)
    return order_ship(actor=shipper, order=order, waybills=waybills_for(order))


def _grants(member):
    from members.models import GrowthEntry, PointsEntry

    growth = list(GrowthEntry.objects.filter(member=member).values_list("reference", "amount"))
    points = list(PointsEntry.objects.filter(member=member).values_list("reference", "points"))
    return growth, points


def _deliver(shipment, actor):
    from dispatch.services import tracking_event_record

    return tracking_event_record(
        actor=actor,
        shipment=shipment,
        occurred_at=timezone.now(),
        description="已签收",
        is_delivered=True,
    )


def test_delivery_of_the_last_parcel_moves_the_order_to_delivered(
    make_order, stocked_sku, buyer, make_ops, actor
):
    from tests.orders.fulfilment_support import SHIP_PERMS

    sku = stocked_sku(1, where=("WH-SH", "WH-BJ"))
    everywhere = make_ops("ship-all", perms=SHIP_PERMS, regions=None)
    order = _shipped(make_order, buyer, everywhere, [(sku, 2)])
    first, second = shipments_of(order)

    _deliver(first, actor)
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    _deliver(second, actor)

    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.delivered_at is not None
    types = list(order.events.values_list("type", flat=True))
    assert types[-2:] == ["shipment_delivered", "deliver"]


def test_the_member_confirms_receipt_and_earns_growth_and_points_once(
    make_order, stocked_sku, buyer, shipper, member_client
):
    order = _shipped(make_order, buyer, shipper, [(stocked_sku(), 2)])  # 198.00 paid
    client = member_client(buyer)

    response = client.post(f"/api/v1/store/orders/{order.order_no}/confirm-receipt/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and order.completed_at is not None
    assert clocks("order.auto_confirm", order)[-1].status == "met"
    assert _grants(buyer) == ([(order.order_no, 198)], [(order.order_no, 198)])
    again = client.post(f"/api/v1/store/orders/{order.order_no}/confirm-receipt/")
    assert again.status_code == 409
    assert _grants(buyer) == ([(order.order_no, 198)], [(order.order_no, 198)])
    buyer.refresh_from_db()
    assert (buyer.growth, buyer.points_balance) == (198, 198)


def test_growth_and_points_are_on_the_paid_amount_minus_refunds(
    make_order, stocked_sku, buyer, shipper, make_ops
):
    order = _shipped(make_order, buyer, shipper, [(stocked_sku(), 3)])  # 297.00 paid
    Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal("99.50"))
    service = make_ops("cs-r", perms=("orders.view_order", "orders.change_order"))

    order_confirm_receipt(actor=service, order=order)

    assert _grants(buyer) == ([(order.order_no, 197)], [(order.order_no, 197)])


def test_receipt_refusals_other_member_not_shipped_frozen_and_staff_without_permission(
    make_order, stocked_sku, buyer, shipper, make_member, member_client, make_ops
):
    sku = stocked_sku()
    order = _shipped(make_order, buyer, shipper, [(sku, 1)])
    stranger = make_member("13800000002")
    response = member_client(stranger).post(
        f"/api/v1/store/orders/{order.order_no}/confirm-receipt/"
    )
    assert response.status_code == 404
    with pytest.raises(OrderNotFound):
        order_confirm_receipt(actor=stranger, order=order)
    with pytest.raises(OrdersPermissionDenied):
        order_confirm_receipt(actor=make_ops("view", perms=("orders.view_order",)), order=order)
    approved = make_order(buyer, [(sku, 1)], status="approved")
    with pytest.raises(OrderStateConflict):
        order_confirm_receipt(actor=buyer, order=approved)
    Order.objects.filter(pk=order.pk).update(is_frozen=True)
    with pytest.raises(OrderFrozen):
        order_confirm_receipt(actor=buyer, order=order)
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert _grants(buyer) == ([], [])
    assert running_clock("order.auto_confirm", order) is not None
