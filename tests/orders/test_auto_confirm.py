# ruff: noqa: F811
"""Automatic receipt: shipped or delivered orders past ``sla.order_auto_confirm_days``
complete as the system, once; frozen ones wait; the daily task is scheduled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from orders.models import Order, OrderEvent
from orders.services.shipping import order_ship, orders_auto_confirm_due
from tests.orders.fulfilment_support import (  # noqa: F401
    buyer,
    clocks,
    make_ops,
    shipper,
    waybills_for,
)

pytestmark = pytest.mark.django_db


def _shipped_days_ago(make_order, buyer, shipper, sku, days, **fields):
    order = make_order(buyer, [(sku, 1)], status="allocated", **fields)
    order_ship(actor=shipper, order=order, waybills=waybills_for(order))
    Order.objects.filter(pk=order.pk).update(shipped_at=timezone.now() - timedelta(days=days))
    return order


def test_orders_shipped_15_days_ago_complete_automatically_once(
    make_order, stocked_sku, buyer, shipper
):
    from members.models import GrowthEntry

    sku = stocked_sku()
    due = _shipped_days_ago(make_order, buyer, shipper, sku, 16)
    delivered = _shipped_days_ago(
        make_order,
        buyer,
        shipper,
        sku,
        15,
    )
    Order.objects.filter(pk=delivered.pk).update(status="delivered")
    recent = _shipped_days_ago(make_order, buyer, shipper, sku, 14)
    frozen = _shipped_days_ago(make_order, buyer, shipper, sku, 20)
    Order.objects.filter(pk=frozen.pk).update(is_frozen=True)
    later = timezone.now() + timedelta(minutes=1)

    assert orders_auto_confirm_due(actor=system_actor(), now=later) == 2
    assert orders_auto_confirm_due(actor=system_actor(), now=later) == 0

    statuses = dict(Order.objects.values_list("order_no", "status"))
    assert statuses[due.order_no] == statuses[delivered.order_no] == "completed"
    assert statuses[recent.order_no] == "shipped" and statuses[frozen.order_no] == "shipped"
    event = OrderEvent.objects.filter(order=due, type="auto_confirm").get()
    assert event.actor_kind == "system"
    assert GrowthEntry.objects.filter(reference=due.order_no).count() == 1


def test_an_auto_confirm_after_its_due_time_closes_the_clock_as_breached(
    make_order, stocked_sku, buyer, shipper
):
    order = _shipped_days_ago(make_order, buyer, shipper, stocked_sku(), 16)

    orders_auto_confirm_due(actor=system_actor(), now=timezone.now() + timedelta(days=16))

    assert clocks("order.auto_confirm", order)[-1].status == "breached"


def test_the_daily_task_is_scheduled_at_one_and_labelled():
    from orders.labels import TASK_LABELS
    from orders.tasks import SCHEDULE

    entry = SCHEDULE["orders: auto-confirm receipt"]
    assert entry == {"task": "orders.tasks.orders_auto_confirm_due_task", "cron": "0 1 * * *"}
    assert "orders: auto-confirm receipt" in TASK_LABELS


def test_the_task_runs_the_service_as_the_system(make_order, stocked_sku, buyer, shipper):
    from orders.tasks import orders_auto_confirm_due_task

    order = _shipped_days_ago(make_order, buyer, shipper, stocked_sku(), 30)

    assert orders_auto_confirm_due_task.apply().get() == 1
    assert Order.objects.get(pk=order.pk).status == "completed"
