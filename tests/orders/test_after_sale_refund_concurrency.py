# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""Two finance staff pressing "execute refund" on one case at once refund it once (PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from orders.exceptions import OrderStateConflict
from orders.models import AfterSale, Order, OrderLine
from orders.services.after_sales import (
    after_sale_approve,
    after_sale_refund_execute,
    after_sale_request,
)
from tests.conftest import requires_postgres
from tests.orders.after_sales_fixtures import (  # noqa: F401
    buyer,
    clock,
    cs_agent,
    cs_north,
    finance,
    received_order,
    sku,
    staff,
)

THREADS = 8


def _press_together(actors, case) -> tuple[list, list, list]:
    barrier = threading.Barrier(len(actors))
    done, refused, crashed = [], [], []
    lock = threading.Lock()

    def press(actor) -> None:
        try:
            barrier.wait(timeout=30)
            fresh = AfterSale.objects.get(pk=case.pk)
            after_sale_refund_execute(actor=actor, after_sale=fresh)
            with lock:
                done.append(actor.username)
        except OrderStateConflict as exc:
            with lock:
                refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test
            with lock:
                crashed.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done, refused, crashed


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_finance_staff_executing_one_refund_at_once_refund_it_exactly_once(
    buyer, received_order, cs_agent, finance, staff
):
    second = staff("finance_2", ("orders.view_aftersale", "orders.refund_aftersale"))
    case = after_sale_request(
        actor=buyer,
        order=received_order,
        kind="refund_only",
        lines=[(received_order.lines.get(), 2)],
        reason="quality",
    )
    after_sale_approve(actor=cs_agent, after_sale=case)
    actors = [finance, second] * (THREADS // 2)

    done, refused, crashed = _press_together(actors, case)

    assert crashed == []
    assert len(done) == 1
    assert refused == ["invalid_state"] * (THREADS - 1)
    order = Order.objects.get(pk=received_order.pk)
    line = OrderLine.objects.get(order=order)
    assert order.refunded_amount == Decimal("198.00") == order.paid_amount
    assert (line.refunded_quantity, line.refunded_amount) == (2, Decimal("198.00"))
    case.refresh_from_db()
    assert (case.status, case.refunded_amount) == ("completed", Decimal("198.00"))
    assert case.events.filter(type="refund").count() == 1


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cases_on_one_order_executed_at_once_never_refund_more_than_paid(
    buyer, received_order, cs_agent, finance, staff
):
    second = staff("finance_2", ("orders.view_aftersale", "orders.refund_aftersale"))
    line = received_order.lines.get()
    cases = [
        after_sale_request(
            actor=buyer,
            order=received_order,
            kind="refund_only",
            lines=[(line, 1)],
            reason="quality",
        )
        for _ in range(2)
    ]
    for case in cases:
        after_sale_approve(actor=cs_agent, after_sale=case)
    # the paid amount was corrected down meanwhile: only one of the two refunds fits
    Order.objects.filter(pk=received_order.pk).update(paid_amount=Decimal("150.00"))
    barrier = threading.Barrier(2)
    results = []

    def press(actor, case):
        try:
            barrier.wait(timeout=30)
            after_sale_refund_execute(actor=actor, after_sale=AfterSale.objects.get(pk=case.pk))
            results.append("done")
        except OrderStateConflict:
            results.append("refused")
        except Exception as exc:  # noqa: BLE001
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=press, args=(finance, cases[0])),
        threading.Thread(target=press, args=(second, cases[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["done", "refused"]
    order = Order.objects.get(pk=received_order.pk)
    assert order.refunded_amount == Decimal("99.00") <= order.paid_amount
