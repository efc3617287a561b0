# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Concurrent placement through the HTTP API on PostgreSQL: never oversold, ledgers intact.

50 members each order 1 unit of a flash SKU with exactly 10 sellable (made like the
demo's ``DEMO-FLASH-001``) at the same moment, each through its own test client and
database connection: exactly 10 orders, 40 × 409 ``out_of_stock``, no 5xx, and
``stock_verify`` / ``audit_verify`` clean. Then a payment and the unpaid auto-cancel
racing for the same orders: each order ends either paid or cancelled-and-refunded.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch.models import Stock
from mall.core.actors import system_actor
from ops.audit_chain import audit_entries_seal
from orders.models import AfterSale, Order
from payments.models import PaymentTransaction
from tests.conftest import requires_postgres
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    notify_body,
    on_shelf_sku,
    sandbox_post,
)

BUYERS = 50


def _tokens(buyer, count: int) -> list[str]:
    from members.services import member_token_issue

    tokens = []
    for _n in range(count):
        member = buyer()
        tokens.append(member_token_issue(actor=member, member=member))
    return tokens


def _run(workers) -> None:
    threads = [threading.Thread(target=work) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_members_ordering_ten_flash_units_get_exactly_ten_orders(
    buyer, on_shelf_sku, own_store, warehouses, actor
):
    flash = on_shelf_sku(10, code="DEMO-FLASH-001", price="99.00")
    tokens = _tokens(buyer, BUYERS)
    barrier = threading.Barrier(BUYERS)
    answers: list[tuple[int, str]] = []
    crashes: list[str] = []
    lock = threading.Lock()

    def order(token: str, number: int):
        def work() -> None:
            try:
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
                body = {"address": SHANGHAI, "lines": [{"sku": flash.code, "quantity": 1}]}
                barrier.wait(timeout=60)
                answer = client.post(
                    "/api/v1/store/orders/",
                    body,
                    format="json",
                    HTTP_IDEMPOTENCY_KEY=f"flash-{number}",
                    HTTP_X_DEVICE_ID=f"device-{number}",
                )
                code = (
                    answer.json().get("error", {}).get("code", "")
                    if answer.status_code >= 400
                    else ""
                )
                with lock:
                    answers.append((answer.status_code, code))
            except Exception as exc:  # noqa: BLE001 - reported below
                with lock:
                    crashes.append(repr(exc))
            finally:
                connection.close()

        return work

    _run([order(token, n) for n, token in enumerate(tokens)])

    assert crashes == []
    assert len(answers) == BUYERS
    assert not [status for status, _code in answers if status >= 500]
    assert sorted(answers).count((201, "")) == 10
    assert [a for a in answers if a[0] != 201] == [(409, "out_of_stock")] * (BUYERS - 10)
    stock = Stock.objects.get(sku=flash, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (10, 10)
    assert Order.objects.filter(lines__sku=flash).count() == 10
    call_command("stock_verify")
    audit_entries_seal()
    call_command("audit_verify")


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_racing_the_unpaid_auto_cancel_wins_or_loses_cleanly(
    buyer, on_shelf_sku, own_store, warehouses, actor
):
    from orders.services.cancellation import orders_cancel_unpaid_due
    from orders.services.placement import order_place
    from payments.services.transactions import payment_start

    item = on_shelf_sku(20, price="30.00")
    orders = []
    for _n in range(6):
        member = buyer()
        placed = order_place(
            actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}]
        )
        started = payment_start(actor=member, order=placed, channel="sandbox")
        placed.refresh_from_db()
        orders.append((placed, started["transaction_no"]))
    Order.objects.filter(pk__in=[o.pk for o, _no in orders]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    crashes: list[str] = []
    barrier = threading.Barrier(2)

    def cancel() -> None:
        try:
            barrier.wait(timeout=30)
            orders_cancel_unpaid_due(actor=system_actor())
        except Exception as exc:  # noqa: BLE001 - reported below
            crashes.append(repr(exc))
        finally:
            connection.close()

    def pay() -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=30)
            for placed, transaction_no in reversed(orders):
                answer = sandbox_post(
                    client, notify_body(transaction_no, f"{placed.total_amount:.2f}")
                )
                if answer.status_code != 200:
                    crashes.append(answer.content.decode())
        except Exception as exc:  # noqa: BLE001 - reported below
            crashes.append(repr(exc))
        finally:
            connection.close()

    _run([cancel, pay])

    assert crashes == []
    reserved = 0
    for placed, transaction_no in orders:
        placed.refresh_from_db()
        txn = PaymentTransaction.objects.get(transaction_no=transaction_no)
        assert txn.paid_at is not None and txn.paid_amount == txn.total_amount
        assert placed.payment_no == transaction_no and placed.paid_amount == placed.total_amount
        # the refund request is opened with the payment; its execution may have gone on
        refunds = AfterSale.objects.filter(order=placed, status__in=["refunding", "completed"])
        if placed.status == Order.Status.PENDING_REVIEW:
            assert refunds.count() == 0 and not txn.refunds.exists()
            assert not placed.events.filter(type="paid_after_cancel").exists()
            reserved += 1
        else:
            assert placed.status == Order.Status.CANCELLED
            assert refunds.count() == 1
            assert placed.events.filter(type="paid_after_cancel").count() == 1
            assert txn.anomalies.get().kind == "paid_after_cancel"
            refund = txn.refunds.get()  # executed by the system after the payment's commit
            assert (refund.source, refund.amount) == ("after_sale", txn.paid_amount)
    stock = Stock.objects.get(sku=item, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (20, reserved)
    call_command("stock_verify")
