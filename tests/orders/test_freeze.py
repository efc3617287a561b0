# ruff: noqa: F811
"""Freeze and release (risk calls them): the flag, the reason, timeline and audit; a
frozen order cannot be approved, shipped, received or refunded by a lost-parcel refund."""

from __future__ import annotations

import pytest

from orders.exceptions import (
    InvalidOrderInput,
    OrderFrozen,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from orders.models import Order, OrderEvent
from orders.services.review import order_approve, order_freeze, order_unfreeze
from orders.services.shipping import order_ship
from tests.orders.fulfilment_support import (  # noqa: F401
    buyer,
    make_ops,
    reviewer,
    shipper,
    waybills_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(make_ops):
    return make_ops("risk1", perms=("orders.view_order", "orders.freeze_order"))


def test_freeze_and_release_are_on_the_timeline_and_audited(make_order, stocked_sku, buyer, risk):
    from ops.models import AuditEntry

    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")

    frozen = order_freeze(actor=risk, order=order, reason="设备指纹异常")
    assert (frozen.is_frozen, frozen.frozen_reason) == (True, "设备指纹异常")
    released = order_unfreeze(actor=risk, order=order, reason="人工核实")
    assert (released.is_frozen, released.frozen_reason) == (False, "")

    events = list(OrderEvent.objects.filter(order=order).values_list("type", "reason"))
    assert events == [("freeze", "设备指纹异常"), ("unfreeze", "人工核实")]
    audits = AuditEntry.objects.filter(object_type="orders.order", object_id=str(order.pk))
    assert list(audits.order_by("id").values_list("action", flat=True)) == [
        "order.freeze",
        "order.unfreeze",
    ]


def test_a_frozen_order_cannot_be_approved_or_shipped_until_released(
    make_order, stocked_sku, buyer, risk, reviewer, shipper
):
    sku = stocked_sku()
    review = make_order(buyer, [(sku, 1)], status="pending_review")
    ship = make_order(buyer, [(sku, 1)], status="allocated")
    for order in (review, ship):
        order_freeze(actor=risk, order=order, reason="风控")

    with pytest.raises(OrderFrozen):
        order_approve(actor=reviewer, order=review)
    with pytest.raises(OrderFrozen):
        order_ship(actor=shipper, order=ship, waybills=waybills_for(ship))

    order_unfreeze(actor=risk, order=ship, reason="ok")
    assert order_ship(actor=shipper, order=ship, waybills=waybills_for(ship)).status == "shipped"


def test_freeze_refusals(make_order, stocked_sku, buyer, risk, make_ops):
    sku = stocked_sku()
    order = make_order(buyer, [(sku, 1)], status="approved")
    with pytest.raises(OrdersPermissionDenied):
        order_freeze(actor=make_ops("v", perms=("orders.view_order",)), order=order, reason="x")
    with pytest.raises(InvalidOrderInput):
        order_freeze(actor=risk, order=order, reason="")
    with pytest.raises(OrderStateConflict):
        order_unfreeze(actor=risk, order=order, reason="not frozen")
    done = make_order(buyer, [(sku, 1)], status="completed")
    with pytest.raises(OrderStateConflict):
        order_freeze(actor=risk, order=done, reason="x")
    assert not Order.objects.filter(is_frozen=True).exists()
