# ruff: noqa: F811
"""Concurrency on PostgreSQL: receipt grants growth and points exactly once however
many confirmations race (the member, staff, the auto-confirm job); shipping one order
from several threads moves its stock once; two second reviewers approve once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.exceptions import ApplicationError
from orders.models import Order, OrderEvent
from tests.conftest import requires_postgres
from tests.orders.fulfilment_support import (  # noqa: F401
    SHIP_PERMS,
    buyer,
    make_ops,
    shipments_of,
    waybills_for,
)

THREADS = 8


def _race(calls) -> tuple[list, list, list]:
    barrier = threading.Barrier(len(calls))
    done, refused, crashed = [], [], []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            barrier.wait(timeout=30)
            result = call()
            with lock:
                done.append(result)
        except ApplicationError as exc:
            with lock:
                refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test
            with lock:
                crashed.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done, refused, crashed


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_complete_the_order_and_grant_growth_and_points_once(
    make_order, stocked_sku, buyer, make_ops
):
    from members.models import GrowthEntry, Member, PointsEntry
    from orders.services.shipping import (
        order_confirm_receipt,
        order_ship,
        orders_auto_confirm_due,
    )

    shipper = make_ops("c-ship", perms=SHIP_PERMS)
    service = make_ops("c-cs", perms=("orders.view_order", "orders.change_order"))
    order = make_order(buyer, [(stocked_sku(), 2)], status="allocated")  # 198.00
    order_ship(actor=shipper, order=order, waybills=waybills_for(order))
    Order.objects.filter(pk=order.pk).update(shipped_at=timezone.now() - timedelta(days=20))
    member = Member.objects.get(pk=buyer.pk)

    calls = [lambda: order_confirm_receipt(actor=member, order=order)] * (THREADS // 2)
    calls += [lambda: order_confirm_receipt(actor=service, order=order)] * (THREADS // 4)
    calls += [lambda: orders_auto_confirm_due(actor=system_actor())] * (THREADS // 4)
    _done, refused, crashed = _race(calls)

    assert crashed == []
    assert set(refused) <= {"invalid_state"}
    completions = OrderEvent.objects.filter(order=order, to_status="completed").count()
    assert completions == 1
    assert Order.objects.get(pk=order.pk).status == "completed"
    assert list(GrowthEntry.objects.filter(member=buyer).values_list("amount", flat=True)) == [198]
    assert list(PointsEntry.objects.filter(member=buyer).values_list("points", flat=True)) == [198]
    buyer.refresh_from_db()
    assert (buyer.growth, buyer.points_balance) == (198, 198)


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_shippers_move_the_stock_of_one_order_once(make_order, stocked_sku, buyer, make_ops):
    from dispatch.models import Stock
    from dispatch.selectors import stock_ledger_mismatches
    from orders.services.shipping import order_ship

    shipper = make_ops("c-ship2", perms=SHIP_PERMS)
    sku = stocked_sku(10)
    order = make_order(buyer, [(sku, 4)], status="allocated")
    waybills = waybills_for(order)

    done, refused, crashed = _race(
        [lambda: order_ship(actor=shipper, order=order, waybills=waybills)] * THREADS
    )

    assert crashed == []
    assert len(done) == 1 and set(refused) == {"invalid_state"}
    stock = Stock.objects.get(sku=sku)
    assert (stock.on_hand, stock.reserved) == (6, 0)
    assert stock_ledger_mismatches(actor=system_actor()) == []
    assert OrderEvent.objects.filter(order=order, type="ship").count() == 1


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_second_reviewers_at_once_approve_once(make_order, stocked_sku, buyer, make_ops):
    from orders.services.review import order_approve

    first = make_ops("c-first")
    perms = ("orders.view_order", "orders.review_order", "orders.approve_order")
    seconds = [make_ops(f"c-second{n}", perms=perms) for n in range(4)]
    order = make_order(
        buyer, [(stocked_sku(), 1)], status="pending_review", needs_second_review=True
    )
    order_approve(actor=first, order=order)

    done, refused, crashed = _race(
        [(lambda who=who: order_approve(actor=who, order=order)) for who in seconds]
    )

    assert crashed == []
    assert len(done) == 1 and set(refused) == {"invalid_state"}
    assert OrderEvent.objects.filter(order=order, type="approve").count() == 1
