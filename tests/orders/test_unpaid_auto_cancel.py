# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Unpaid orders are cancelled automatically once their time to pay runs out."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from dispatch.models import Stock
from mall.core.actors import system_actor
from mall.core.jobs import JobRun
from members.models import Coupon
from orders.labels import TASK_LABELS
from orders.models import Order
from orders.services.cancellation import orders_cancel_unpaid_due
from orders.services.payment import order_mark_paid
from orders.services.placement import order_place
from orders.tasks import SCHEDULE, orders_cancel_unpaid_due_task
from tests.orders.checkout_support import SHANGHAI, buyer, give_coupon, on_shelf_sku  # noqa: F401


def _place(member, sku, **extra):
    return order_place(
        actor=member, address=SHANGHAI, lines=[{"sku": sku.code, "quantity": 1}], **extra
    )


def test_only_unpaid_orders_past_their_time_are_cancelled_and_give_everything_back(
    buyer, on_shelf_sku, give_coupon, warehouses
):
    item = on_shelf_sku(10, price="150.00")
    member = buyer()
    coupon = give_coupon(member, amount="30.00", threshold="100.00")
    due = _place(member, item, coupon_id=coupon.pk)
    fresh = _place(buyer(), item)
    paid = _place(buyer(), item)
    frozen = _place(buyer(), item)
    order_mark_paid(
        actor=system_actor(),
        order=paid,
        amount=paid.total_amount,
        payment_no="PT9",
        channel="sandbox",
    )
    Order.objects.filter(pk=frozen.pk).update(is_frozen=True)
    later = timezone.now() + timedelta(minutes=31)
    Order.objects.filter(pk=fresh.pk).update(expires_at=later + timedelta(minutes=5))

    assert orders_cancel_unpaid_due(actor=system_actor(), now=later) == 1
    assert orders_cancel_unpaid_due(actor=system_actor(), now=later) == 0  # idempotent

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: "cancelled",
        fresh.pk: "pending_payment",
        paid.pk: "pending_review",
        frozen.pk: "pending_payment",
    }
    stock = Stock.objects.get(sku=item, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (10, 3)
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.AVAILABLE
    event = Order.objects.get(pk=due.pk).events.get(type="auto_cancel")
    assert (event.actor_kind, event.from_status, event.to_status) == (
        "system",
        "pending_payment",
        "cancelled",
    )


def test_the_task_runs_every_minute_on_the_realtime_queue_and_records_its_run(
    buyer, on_shelf_sku, warehouses
):
    item = on_shelf_sku(5)
    order = _place(buyer(), item)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    result = orders_cancel_unpaid_due_task.apply().get()  # runs here, broker or not

    assert result == {"cancelled": 1}
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert JobRun.objects.get(name="orders.cancel_unpaid_due").status == JobRun.Status.SUCCEEDED
    entry = SCHEDULE["orders: auto-cancel unpaid orders"]
    assert entry == {
        "task": "orders.tasks.orders_cancel_unpaid_due_task",
        "cron": "* * * * *",
        "queue": "realtime",
    }
    assert str(TASK_LABELS["orders: auto-cancel unpaid orders"]) == "自动取消未支付订单"
