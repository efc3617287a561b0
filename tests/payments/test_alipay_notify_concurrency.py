# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""The same Alipay notification delivered eight times at once (PostgreSQL, threads):
verified eight times, applied once, the other seven answered ``success`` as duplicates."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from ops.models import AuditEntry
from orders.models import Order
from orders.services.placement import order_place
from payments.models import CallbackRecord, PaymentTransaction
from tests.conftest import requires_postgres
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    on_shelf_sku,
)
from tests.payments.alipay_fake import FakeAlipay

COPIES = 8


@pytest.fixture
def fake():
    server = FakeAlipay().start()
    yield server
    server.stop()


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_notification_delivered_eight_times_at_once_pays_once(
    fake, settings, buyer, on_shelf_sku, own_store, warehouses, actor
):
    from payments.services.transactions import payment_start

    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "alipay": fake.config()}
    member = buyer()
    item = on_shelf_sku(10, price="100.00")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    number = payment_start(actor=member, order=order, channel="alipay", scene="h5")[
        "transaction_no"
    ]
    body = fake.pay(number, "100.00")
    barrier = threading.Barrier(COPIES)
    answers: list[tuple[int, bytes]] = []
    crashes: list[str] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=60)
            answer = client.post(
                "/api/v1/payments/notify/alipay/",
                data=body,
                content_type="application/x-www-form-urlencoded",
            )
            with lock:
                answers.append((answer.status_code, answer.content))
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _n in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert crashes == []
    assert answers == [(200, b"success")] * COPIES
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert PaymentTransaction.objects.get(transaction_no=number).status == "paid"
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1
    outcomes = sorted(
        CallbackRecord.objects.filter(channel="alipay").values_list("outcome", flat=True)
    )
    assert outcomes == ["applied"] + ["duplicate"] * (COPIES - 1)
