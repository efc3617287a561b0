# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""The sandbox's "pay now" page and ``manage.py sandbox_pay`` (the demo's ways to pay).

Both send a correctly signed sandbox notification through ``payment_notify``, the
service behind the callback endpoint: what they do is what a channel's callback does.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from ops.models import AuditEntry
from orders.models import Order
from orders.services.placement import order_place
from payments.models import CallbackRecord, PaymentAnomaly, PaymentTransaction
from payments.services.transactions import payment_start
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    notify_body,
    on_shelf_sku,
    sandbox_post,
)

D = Decimal


@pytest.fixture
def started(buyer, on_shelf_sku):
    member = buyer()
    item = on_shelf_sku(10, price="120.00")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    answer = payment_start(actor=member, order=order, channel="sandbox")
    return order, PaymentTransaction.objects.get(transaction_no=answer["transaction_no"])


@pytest.fixture
def browser():
    """A browser that CSRF-checks like production (the test client skips it by default)."""
    return Client(enforce_csrf_checks=True)


def _url(txn) -> str:
    return f"/payments/sandbox/pay/{txn.transaction_no}/"


def _token(page) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert match, "the page carries a CSRF token"
    return match.group(1).decode()


def _words(*msgids: str) -> list[str]:
    with translation.override("zh-hans"):
        return [gettext(msgid) for msgid in msgids]


def test_the_pay_page_shows_the_order_the_amount_and_both_buttons(started, browser):
    order, txn = started

    page = browser.get(txn.pay_params["pay_page"])

    assert txn.pay_params["pay_page"] == _url(txn)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html
    assert order.order_no in html and f"¥{txn.total_amount:.2f}" in html
    for words in _words("Pay now", "Payment fails", "Order number"):
        assert words in html
    assert 'name="result" value="success"' in html and 'name="result" value="failed"' in html
    assert _token(page)


def test_paying_on_the_page_pays_the_order_through_the_signed_notification(started, browser):
    order, txn = started
    page = browser.get(_url(txn))

    answer = browser.post(_url(txn), {"result": "success", "csrfmiddlewaretoken": _token(page)})

    assert answer.status_code == 200
    html = answer.content.decode()
    assert _words("Payment succeeded.")[0] in html
    assert 'value="success"' not in html  # nothing left to press
    order.refresh_from_db()
    txn.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW and order.payment_no == txn.transaction_no
    assert txn.status == PaymentTransaction.Status.PAID and txn.channel_trade_no.startswith("SBX")
    record = CallbackRecord.objects.get()
    assert (record.verified, record.outcome, record.transaction_id) == (True, "applied", txn.pk)
    assert record.headers["X-Sandbox-Signature"]
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1
    # Paid: the page is gone.
    assert browser.get(_url(txn)).status_code == 404
    assert browser.post(_url(txn), {"result": "success"}).status_code in (403, 404)


def test_failing_on_the_page_records_the_failure_and_leaves_the_order_payable(started, browser):
    order, txn = started
    page = browser.get(_url(txn))

    answer = browser.post(_url(txn), {"result": "failed", "csrfmiddlewaretoken": _token(page)})

    assert answer.status_code == 200
    html = answer.content.decode()
    assert _words("The payment failed. The order is still waiting for payment.")[0] in html
    assert 'value="success"' in html  # try again
    order.refresh_from_db()
    txn.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    assert txn.status == PaymentTransaction.Status.UNPAID
    assert order.events.filter(type="payment_failed").count() == 1
    assert browser.get(_url(txn)).status_code == 200


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(started, browser):
    order, txn = started

    answer = browser.post(_url(txn), {"result": "success"})

    assert answer.status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert not CallbackRecord.objects.exists()


def test_an_unknown_choice_is_400_and_changes_nothing(started, browser):
    order, txn = started
    page = browser.get(_url(txn))

    answer = browser.post(_url(txn), {"result": "paid", "csrfmiddlewaretoken": _token(page)})

    assert answer.status_code == 400
    assert not CallbackRecord.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_the_page_is_404_for_anything_but_an_unpaid_sandbox_transaction(
    started, browser, api_client
):
    order, txn = started
    other = PaymentTransaction.objects.create(
        transaction_no="PT20261128WECHAT0001",
        order=order,
        member=order.member,
        region=order.region,
        channel="wechat",
        total_amount=txn.total_amount,
    )

    assert browser.get("/payments/sandbox/pay/PT20261128NOSUCHNO1/").status_code == 404
    assert browser.get(_url(other)).status_code == 404
    assert browser.get("/payments/sandbox/pay/" + "P" * 40 + "/").status_code == 404
    sandbox_post(api_client, notify_body(txn.transaction_no, f"{txn.total_amount:.2f}"))
    assert browser.get(_url(txn)).status_code == 404


def test_the_page_is_404_when_the_sandbox_channel_is_not_configured(started, browser, settings):
    _order, txn = started
    settings.PAYMENT_GATEWAYS = {
        k: v for k, v in django_settings.PAYMENT_GATEWAYS.items() if k != "sandbox"
    }

    assert browser.get(_url(txn)).status_code == 404
    assert browser.post(_url(txn), {"result": "success"}).status_code in (403, 404)
    txn.refresh_from_db()
    assert txn.status == PaymentTransaction.Status.UNPAID


def test_the_command_with_another_amount_opens_an_anomaly_and_pays_nothing(started):
    order, txn = started
    out = io.StringIO()

    call_command("sandbox_pay", order.order_no, "--amount", "1.00", stdout=out)

    assert out.getvalue().startswith("400 ") and "amount_mismatch" in out.getvalue()
    order.refresh_from_db()
    txn.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and txn.paid_at is None
    anomaly = PaymentAnomaly.objects.get()
    assert (anomaly.kind, anomaly.reported_amount) == ("amount_mismatch", D("1.00"))


def test_the_command_with_failed_records_the_failure(started):
    order, txn = started
    out = io.StringIO()

    call_command("sandbox_pay", order.order_no, "--failed", stdout=out)

    assert out.getvalue().startswith("200 ")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.events.filter(type="payment_failed").count() == 1
    assert AuditEntry.objects.filter(action="payment.failed", object_id=str(txn.pk)).count() == 1


def test_the_command_without_the_sandbox_secret_refuses(started, settings):
    order, _txn = started
    settings.PAYMENT_SANDBOX_SECRET = ""

    with pytest.raises(CommandError):
        call_command("sandbox_pay", order.order_no, stdout=io.StringIO())
