# ruff: noqa: F811
"""Warehouse approval: approved → allocated, with its permission, scope and state."""

from __future__ import annotations

import pytest

from orders.exceptions import (
    OrderFrozen,
    OrderNotFound,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from orders.models import Order
from orders.services.review import order_warehouse_approve
from tests.orders.fulfilment_support import buyer, make_ops  # noqa: F401

pytestmark = pytest.mark.django_db
WAREHOUSE = ("orders.view_order", "orders.warehouse_approve_order")


def test_the_warehouse_approves_an_approved_order(make_order, stocked_sku, buyer, make_ops):
    order = make_order(buyer, [(stocked_sku(), 1)], status="approved")
    keeper = make_ops("keeper", perms=WAREHOUSE)

    done = order_warehouse_approve(actor=keeper, order=order)

    assert done.status == Order.Status.ALLOCATED and done.allocated_at is not None
    event = done.events.get()
    assert (event.type, event.from_status, event.to_status, event.actor_user) == (
        "warehouse_approve",
        "approved",
        "allocated",
        keeper,
    )


def test_warehouse_approval_refusals(make_order, stocked_sku, buyer, make_ops):
    sku = stocked_sku()
    keeper = make_ops("keeper2", perms=WAREHOUSE)
    with pytest.raises(OrderStateConflict):
        order_warehouse_approve(
            actor=keeper, order=make_order(buyer, [(sku, 1)], status="pending_review")
        )
    order = make_order(buyer, [(sku, 1)], status="approved")
    with pytest.raises(OrdersPermissionDenied):
        order_warehouse_approve(actor=make_ops("v", perms=("orders.view_order",)), order=order)
    with pytest.raises(OrderNotFound):
        order_warehouse_approve(
            actor=make_ops("north-k", perms=WAREHOUSE, regions=("north",)), order=order
        )
    no_stock = make_order(buyer, [(sku, 1)], status="approved", allocate_stock=False)
    with pytest.raises(OrderStateConflict):
        order_warehouse_approve(actor=keeper, order=no_stock)
    Order.objects.filter(pk=order.pk).update(is_frozen=True)
    with pytest.raises(OrderFrozen):
        order_warehouse_approve(actor=keeper, order=order)
    assert Order.objects.get(pk=order.pk).status == Order.Status.APPROVED
