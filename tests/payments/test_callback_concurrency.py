# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Callbacks at the same moment on PostgreSQL: applied exactly once, never wrongly.

Each sender is its own thread with its own test client and database connection,
released together by a barrier, all through the HTTP endpoint
(``POST /api/v1/payments/notify/sandbox/``): the row locks (order, then transaction)
are what is proved, not a lock in the test.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from members.models import Coupon
from ops.audit_chain import audit_entries_seal
from ops.models import AuditEntry
from orders.models import Order
from orders.services.placement import order_place
from payments.models import CallbackRecord, PaymentAnomaly, PaymentTransaction, Refund
from payments.services.transactions import payment_start
from tests.conftest import requires_postgres
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    give_coupon,
    notify_body,
    on_shelf_sku,
    sandbox_post,
)

D = Decimal
SENDERS = 20

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _send_together(bodies: list[bytes]) -> tuple[list[tuple[int, dict]], list[str]]:
    """Post every body from its own thread at the same moment; (status, json) each."""
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[int, dict]] = []
    crashes: list[str] = []
    lock = threading.Lock()

    def send(body: bytes) -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=60)
            answer = sandbox_post(client, body)
            with lock:
                answers.append((answer.status_code, answer.json()))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return answers, crashes


@pytest.fixture
def started(buyer, on_shelf_sku, give_coupon, own_store, warehouses):
    """An unpaid order (with a coupon) and its unpaid sandbox transaction."""
    member = buyer()
    item = on_shelf_sku(10, price="120.00")
    coupon = give_coupon(member, amount="20.00", threshold="100.00")
    order = order_place(
        actor=member,
        address=SHANGHAI,
        lines=[{"sku": item.code, "quantity": 1}],
        coupon_id=coupon.pk,
    )
    answer = payment_start(actor=member, order=order, channel="sandbox")
    txn = PaymentTransaction.objects.get(transaction_no=answer["transaction_no"])
    return order, txn, coupon


def _audits(action: str, target) -> int:
    return AuditEntry.objects.filter(action=action, object_id=str(target.pk)).count()


def test_twenty_identical_callbacks_apply_exactly_once(started):
    order, txn, coupon = started
    body = notify_body(txn.transaction_no, f"{txn.total_amount:.2f}")

    answers, crashes = _send_together([body] * SENDERS)

    assert crashes == []
    assert answers == [(200, {"code": "SUCCESS"})] * SENDERS
    order.refresh_from_db()
    txn.refresh_from_db()
    coupon.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert (order.paid_amount, order.payment_no) == (txn.total_amount, txn.transaction_no)
    assert txn.status == PaymentTransaction.Status.PAID and txn.paid_amount == txn.total_amount
    assert _audits("payment.paid", txn) == 1
    assert _audits("order.pay", order) == 1
    assert list(order.events.values_list("type", flat=True)) == [
        "place",
        "pay_start",
        "pay",
        "submit_review",
    ]
    assert coupon.status == Coupon.Status.USED and coupon.order_no == order.order_no
    assert _audits("coupon.use", coupon) == 1
    outcomes = sorted(CallbackRecord.objects.values_list("outcome", flat=True))
    assert outcomes == ["applied"] + ["duplicate"] * (SENDERS - 1)
    assert not PaymentAnomaly.objects.exists() and not Refund.objects.exists()
    audit_entries_seal()
    call_command("audit_verify")


def test_twenty_callbacks_half_with_another_amount_never_pay_wrongly(started):
    order, txn, _coupon = started
    right = f"{txn.total_amount:.2f}"
    bodies = []
    for number in range(SENDERS):
        amount = right if number % 2 == 0 else f"{txn.total_amount - 1:.2f}"
        bodies.append(notify_body(txn.transaction_no, amount, nonce=f"n{number}"))

    answers, crashes = _send_together(bodies)

    assert crashes == []
    assert len(answers) == SENDERS
    ok = [a for a in answers if a[0] == 200]
    refused = [a for a in answers if a[0] != 200]
    assert ok == [(200, {"code": "SUCCESS"})] * (SENDERS // 2)
    assert [(status, body["error"]["code"]) for status, body in refused] == [
        (400, "amount_mismatch")
    ] * (SENDERS // 2)
    txn.refresh_from_db()
    order.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.PAID and txn.paid_amount == D(right)
    assert order.status == Order.Status.PENDING_REVIEW and order.paid_amount == D(right)
    assert _audits("payment.paid", txn) == 1 and _audits("order.pay", order) == 1
    anomaly = PaymentAnomaly.objects.get()
    assert (anomaly.kind, anomaly.transaction_id) == ("amount_mismatch", txn.pk)
    assert anomaly.reported_amount == txn.total_amount - 1
    assert AuditEntry.objects.filter(action="payment.anomaly").count() == 1
    outcomes = sorted(CallbackRecord.objects.values_list("outcome", flat=True))
    assert outcomes == sorted(
        ["applied"] + ["duplicate"] * (SENDERS // 2 - 1) + ["anomaly"] * (SENDERS // 2)
    )


def test_two_transactions_of_one_order_paid_at_once_one_pays_the_other_is_refunded(started):
    order, jsapi, _coupon = started
    answer = payment_start(actor=order.member, order=order, channel="sandbox", scene="native")
    native = PaymentTransaction.objects.get(transaction_no=answer["transaction_no"])
    assert native.pk != jsapi.pk
    bodies = [notify_body(txn.transaction_no, f"{txn.total_amount:.2f}") for txn in (jsapi, native)]

    answers, crashes = _send_together(bodies)

    assert crashes == []
    assert answers == [(200, {"code": "SUCCESS"})] * 2
    order.refresh_from_db()
    jsapi.refresh_from_db()
    native.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW and _audits("order.pay", order) == 1
    winner, loser = (jsapi, native) if order.payment_no == jsapi.transaction_no else (native, jsapi)
    assert order.payment_no == winner.transaction_no and order.paid_amount == winner.paid_amount
    assert winner.status == PaymentTransaction.Status.PAID and winner.refunded_amount == 0
    assert loser.paid_at is not None and loser.paid_amount == loser.total_amount
    assert loser.refunded_amount == loser.paid_amount
    refund = Refund.objects.get()
    assert (refund.transaction_id, refund.source, refund.amount) == (
        loser.pk,
        Refund.Source.DUPLICATE,
        loser.paid_amount,
    )
    anomaly = PaymentAnomaly.objects.get()
    assert (anomaly.kind, anomaly.transaction_id) == ("duplicate_payment", loser.pk)
    assert not Refund.objects.filter(transaction=winner).exists()
