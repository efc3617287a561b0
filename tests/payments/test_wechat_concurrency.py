# ruff: noqa: F811 - fixtures imported from checkout_support / wechat_fake are parameters here
"""WeChat Pay's retries arriving together on PostgreSQL: the order is paid exactly once.

WeChat retries a notification it thinks went unanswered; with the query fallback
running too, several verified "paid" facts about one transaction can arrive at the
same moment, each on its own connection. One applies, the others find it paid.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from mall.core.actors import system_actor
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
from tests.payments.wechat_fake import fake, wechat_keys  # noqa: F401 - fixtures

NOTIFIERS = 8


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_notifications_and_a_query_pay_the_order_exactly_once(
    settings, fake, buyer, on_shelf_sku, own_store, warehouses, actor
):
    from members.services import member_token_issue
    from payments.services.transactions import transactions_query_due

    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "wechat": fake.config()}
    settings.PAYMENT_NOTIFY_BASE_URL = "https://mall.example.com"
    member = buyer()
    item = on_shelf_sku(5, price="66.60")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {member_token_issue(actor=member, member=member)}"
    )
    started = client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/",
        {"channel": "wechat", "scene": "native"},
        format="json",
    )
    assert started.status_code == 200, started.content
    number = started.json()["transaction_no"]
    fake.pay(number)
    PaymentTransaction.objects.filter(transaction_no=number).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    messages = [fake.notification(fake.transaction(number)) for _n in range(NOTIFIERS)]
    barrier = threading.Barrier(NOTIFIERS + 1)
    statuses: list[int] = []
    crashes: list[str] = []
    lock = threading.Lock()

    def notify(body: bytes, headers: dict):
        def work() -> None:
            try:
                barrier.wait(timeout=60)
                answer = fake.post(APIClient(), "/api/v1/payments/notify/wechat/", body, headers)
                with lock:
                    statuses.append(answer.status_code)
            except Exception as exc:  # noqa: BLE001 - reported below
                with lock:
                    crashes.append(repr(exc))
            finally:
                connection.close()

        return work

    def query() -> None:
        try:
            barrier.wait(timeout=60)
            transactions_query_due(actor=system_actor())
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=notify(*m)) for m in messages]
    threads.append(threading.Thread(target=query))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert crashes == []
    assert statuses == [200] * NOTIFIERS
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert order.paid_amount == order.total_amount
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1
    assert AuditEntry.objects.filter(action="payment.paid").count() == 1
    outcomes = sorted(
        CallbackRecord.objects.filter(channel="wechat").values_list("outcome", flat=True)
    )
    assert outcomes.count("duplicate") >= NOTIFIERS - 1
    assert outcomes.count("applied") <= 1 and len(outcomes) == NOTIFIERS
