"""The orders foundation: the status tables, the timeline, numbers, the test factory."""

from __future__ import annotations

import re

import pytest

from mall.core.transitions import InvalidTransition
from orders.models import Order, OrderEvent
from orders.numbers import new_number
from orders.services.events import order_transition


def test_order_numbers_are_dd_date_and_ten_random_digits_not_in_sequence():
    numbers = [new_number("DD") for _ in range(200)]
    assert all(re.fullmatch(r"DD\d{8}\d{10}", number) for number in numbers)
    assert len(set(numbers)) == 200
    tails = [int(number[-10:]) for number in numbers]
    assert tails != sorted(tails)


@pytest.mark.django_db
def test_a_transition_moves_the_order_and_appends_its_event_with_the_real_actor(
    make_order, make_member, stocked_sku, actor
):
    member = make_member()
    order = make_order(member, [(stocked_sku(5), 1)], status="paid")
    order_transition(
        actor=member, order=order, to=Order.Status.PENDING_REVIEW, action="order.submit_review"
    )
    order.refresh_from_db()
    assert order.status == "pending_review"
    event = OrderEvent.objects.get(order=order)
    assert (event.type, event.from_status, event.to_status) == (
        "submit_review",
        "paid",
        "pending_review",
    )
    assert event.actor_kind == "member" and event.actor_user is None
    with pytest.raises(InvalidTransition):
        order_transition(actor=actor, order=order, to=Order.Status.COMPLETED, action="order.x")
    assert OrderEvent.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_the_factory_reserves_stock_like_placement_and_ships_when_asked(
    make_order, make_member, stocked_sku
):
    from dispatch.models import Shipment, Stock

    sku = stocked_sku(10)
    order = make_order(make_member(), [(sku, 3)], status="shipped")
    assert Shipment.objects.get(order_no=order.order_no).status == "shipped"
    stock = Stock.objects.get(sku=sku)
    assert (stock.on_hand, stock.reserved) == (7, 0)
    waiting = make_order(make_member(), [(sku, 2)], status="approved")
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (7, 2)
    assert waiting.paid_amount == sku.price_amount * 2
