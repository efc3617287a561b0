# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""The query fallback (``transactions_query_due``) against a fake sandbox server.

A notification can be lost: transactions still unpaid after
``payments.query_after_minutes`` are asked about at the channel. Paid there → applied
once (like a notification); not payable any more → closed at the channel and here; the
channel down → counted failed and asked again next run.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.models import JobRun
from ops.models import AuditEntry
from orders.models import Order
from orders.services.cancellation import order_cancel
from orders.services.placement import order_place
from payments.models import ChannelCall, PaymentTransaction
from payments.services.transactions import payment_start, transactions_query_due
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    on_shelf_sku,
)
from tests.payments.sandbox_fake import SandboxServer

D = Decimal


@pytest.fixture
def fake_server(settings):
    """The fake sandbox server, and the sandbox channel configured to ask it."""
    server = SandboxServer(django_settings.PAYMENT_SANDBOX_SECRET).start()
    settings.PAYMENT_GATEWAYS = {
        **django_settings.PAYMENT_GATEWAYS,
        "sandbox": {"secret": django_settings.PAYMENT_SANDBOX_SECRET, "server_url": server.url},
    }
    yield server
    server.stop()


@pytest.fixture
def unpaid(buyer, on_shelf_sku):
    """An order with an unpaid sandbox transaction started ``age`` minutes ago."""
    item = on_shelf_sku(50, price="88.00")

    def make(age: int = 10) -> tuple[Order, PaymentTransaction]:
        member = buyer()
        order = order_place(
            actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}]
        )
        answer = payment_start(actor=member, order=order, channel="sandbox")
        PaymentTransaction.objects.filter(transaction_no=answer["transaction_no"]).update(
            created_at=timezone.now() - timedelta(minutes=age)
        )
        order.refresh_from_db()
        return order, PaymentTransaction.objects.get(transaction_no=answer["transaction_no"])

    return make


def _due(txn: PaymentTransaction) -> str:
    return f"{txn.total_amount:.2f}"


def _audits(action: str, txn: PaymentTransaction) -> int:
    return AuditEntry.objects.filter(action=action, object_id=str(txn.pk)).count()


def test_paid_at_the_channel_but_the_notification_was_lost_is_applied_once(fake_server, unpaid):
    order, txn = unpaid()
    fake_server.pay(txn.transaction_no, _due(txn), trade_no="SBXQ-LOST-1")

    first = transactions_query_due(actor=system_actor())
    PaymentTransaction.objects.filter(pk=txn.pk).update(last_queried_at=None)
    second = transactions_query_due(actor=system_actor())

    assert first == {"asked": 1, "applied": 1, "closed": 0, "failed": 0}
    assert second == {"asked": 0, "applied": 0, "closed": 0, "failed": 0}
    txn.refresh_from_db()
    order.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.PAID
    assert (txn.paid_amount, txn.channel_trade_no) == (txn.total_amount, "SBXQ-LOST-1")
    assert txn.total_amount == D("98.00")  # 88.00 + 10.00 freight
    assert txn.fee_amount == D("0.59")  # 98.00 × 0.006 = 0.588, half-up
    assert order.status == Order.Status.PENDING_REVIEW and order.payment_no == txn.transaction_no
    assert _audits("payment.paid", txn) == 1
    assert AuditEntry.objects.get(action="payment.paid", object_id=str(txn.pk)).data["source"] == (
        "query"
    )
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1
    assert fake_server.requests == [("GET", f"/trades/{txn.transaction_no}")]
    assert ChannelCall.objects.filter(channel="sandbox", operation="query", ok=True).count() == 1


def test_unpaid_and_expired_or_cancelled_is_closed_at_the_channel_and_here(fake_server, unpaid):
    expired_order, expired = unpaid()
    cancelled_order, cancelled = unpaid()
    waiting_order, waiting = unpaid()
    fake_server.open(expired.transaction_no, _due(expired))
    fake_server.open(waiting.transaction_no, _due(waiting))
    Order.objects.filter(pk=expired_order.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    order_cancel(actor=cancelled_order.member, order=cancelled_order, reason="不想要了")

    counts = transactions_query_due(actor=system_actor())

    assert counts == {"asked": 3, "applied": 0, "closed": 2, "failed": 0}
    for txn in (expired, cancelled):
        txn.refresh_from_db()
        assert txn.status == PaymentTransaction.Status.CANCELLED and txn.closed_at is not None
        assert ("POST", f"/trades/{txn.transaction_no}/close") in fake_server.requests
        assert fake_server.trades[txn.transaction_no]["status"] == "CLOSED"
        assert _audits("payment.close", txn) == 1
    waiting.refresh_from_db()
    assert waiting.status == PaymentTransaction.Status.UNPAID and waiting.last_queried_at
    assert ("POST", f"/trades/{waiting.transaction_no}/close") not in fake_server.requests
    waiting_order.refresh_from_db()
    assert waiting_order.status == Order.Status.PENDING_PAYMENT


def test_paid_just_before_our_close_is_applied_next_run_and_refunded(fake_server, unpaid):
    order, txn = unpaid()
    fake_server.open(txn.transaction_no, _due(txn))
    fake_server.paid_before_close.add(txn.transaction_no)
    order_cancel(actor=order.member, order=order, reason="不想要了")

    refused = transactions_query_due(actor=system_actor())
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        last_queried_at=timezone.now() - timedelta(minutes=3)
    )
    next_run = transactions_query_due(actor=system_actor())

    assert refused == {"asked": 1, "applied": 0, "closed": 0, "failed": 1}
    assert next_run == {"asked": 1, "applied": 1, "closed": 0, "failed": 0}
    txn.refresh_from_db()
    order.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.PAID and txn.paid_amount == txn.total_amount
    assert order.status == Order.Status.CANCELLED and order.paid_amount == txn.total_amount
    assert txn.anomalies.get().kind == "paid_after_cancel"
    assert order.after_sales.get().approved_amount == txn.total_amount
    failed = ChannelCall.objects.get(channel="sandbox", operation="close", ok=False)
    assert failed.error_code == "HTTP_409"


def test_channel_down_is_counted_failed_and_asked_again_next_run(fake_server, unpaid):
    order, txn = unpaid()
    fake_server.pay(txn.transaction_no, _due(txn))
    fake_server.down = True

    down = transactions_query_due(actor=system_actor())
    too_soon = transactions_query_due(actor=system_actor())
    fake_server.down = False
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        last_queried_at=timezone.now() - timedelta(minutes=3)
    )
    next_run = transactions_query_due(actor=system_actor())

    assert down == {"asked": 1, "applied": 0, "closed": 0, "failed": 1}
    assert too_soon == {"asked": 0, "applied": 0, "closed": 0, "failed": 0}
    assert next_run == {"asked": 1, "applied": 1, "closed": 0, "failed": 0}
    failed = ChannelCall.objects.get(channel="sandbox", operation="query", ok=False)
    assert failed.error_code == "HTTP_503"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW


def test_a_forged_answer_from_the_server_never_pays(fake_server, unpaid):
    _order, txn = unpaid()
    fake_server.pay(txn.transaction_no, _due(txn))
    fake_server.secret = "not-our-secret"

    counts = transactions_query_due(actor=system_actor())

    assert counts == {"asked": 1, "applied": 0, "closed": 0, "failed": 1}
    txn.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.UNPAID
    assert ChannelCall.objects.get(operation="query").error_code == "BAD_SIGNATURE"


def test_not_yet_due_is_untouched(fake_server, unpaid):
    _order, txn = unpaid(age=1)
    fake_server.pay(txn.transaction_no, _due(txn))

    counts = transactions_query_due(actor=system_actor())

    assert counts == {"asked": 0, "applied": 0, "closed": 0, "failed": 0}
    txn.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.UNPAID and txn.last_queried_at is None
    assert fake_server.requests == []


def test_the_channel_reporting_another_amount_is_an_anomaly_not_a_payment(fake_server, unpaid):
    _order, txn = unpaid()
    fake_server.pay(txn.transaction_no, "1.00")

    counts = transactions_query_due(actor=system_actor())

    assert counts == {"asked": 1, "applied": 0, "closed": 0, "failed": 0}
    txn.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.UNPAID
    anomaly = txn.anomalies.get()
    assert (anomaly.kind, anomaly.reported_amount) == ("amount_mismatch", D("1.00"))


def test_the_query_task_runs_as_a_job(fake_server, unpaid):
    from payments.tasks import payments_query_due_task

    _order, txn = unpaid()
    fake_server.pay(txn.transaction_no, _due(txn))

    result = payments_query_due_task.delay().get()

    assert result == {"asked": 1, "applied": 1, "closed": 0, "failed": 0}
    run = JobRun.objects.get(name="payments.query_due")
    assert run.status == JobRun.Status.SUCCEEDED and run.result == result
    txn.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.PAID


def test_an_unpaid_recharge_stays_open_until_its_own_time_runs_out(buyer, fake_server):
    from payments.services.recharge import recharge_start

    member = buyer()
    answer = recharge_start(actor=member, amount=D("200"), channel="sandbox", scene="app")
    number = answer["transaction_no"]
    PaymentTransaction.objects.filter(transaction_no=number).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    fake_server.open(number, "200.00")

    transactions_query_due(actor=system_actor())
    assert PaymentTransaction.objects.get(transaction_no=number).status == "unpaid"

    PaymentTransaction.objects.filter(transaction_no=number).update(
        expires_at=timezone.now() - timedelta(seconds=1), last_queried_at=None
    )
    counts = transactions_query_due(actor=system_actor())

    assert counts["closed"] == 1
    assert PaymentTransaction.objects.get(transaction_no=number).status == "cancelled"
