# ruff: noqa: F811 - fixtures imported from checkout_support / wechat_fake are parameters here
"""Paying an order with WeChat Pay end to end: the storefront's pay endpoint, the fake
WeChat Pay server, its signed notifications through ``/api/v1/payments/notify/wechat/``,
and the query fallback."""

from __future__ import annotations

import base64
import json
import socket
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry
from orders.models import Order
from orders.services.placement import order_place
from payments.gateways.wechat import to_fen
from payments.models import CallbackRecord, ChannelCall, PaymentAnomaly, PaymentTransaction
from payments.services.transactions import transactions_query_due
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    on_shelf_sku,
)
from tests.payments.wechat_fake import fake, new_key, new_serial, wechat_keys  # noqa: F401

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NOTIFY = "/api/v1/payments/notify/wechat/"


@pytest.fixture
def wechat(settings, fake):
    """WeChat Pay configured against the fake server; answers the fake."""
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "wechat": fake.config()}
    settings.PAYMENT_NOTIFY_BASE_URL = "https://mall.example.com"
    return fake


@pytest.fixture
def placed(buyer, on_shelf_sku, member_client):
    """An unpaid order and its member's API client."""
    member = buyer()
    item = on_shelf_sku(10, price="128.80")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    return order, member_client(member)


def _pay(client, order, scene="jsapi", payer_id=OPENID):
    return client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/",
        {"channel": "wechat", "scene": scene, "payer_id": payer_id},
        format="json",
    )


def _start(client, order, scene="jsapi") -> dict:
    answer = _pay(client, order, scene)
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_jsapi_payment_is_started_then_paid_once_by_the_notification(
    wechat, wechat_keys, placed, api_client
):
    order, client = placed
    started = _start(client, order)
    number = started["transaction_no"]
    params = started["pay_params"]

    trade = wechat.trades[number]
    assert trade["amount"]["total"] == to_fen(order.total_amount) > 0
    assert wechat.requests[-1]["body"]["notify_url"] == f"https://mall.example.com{NOTIFY}"
    assert params["package"] == f"prepay_id={trade['prepay_id']}"
    wechat_keys.merchant.public_key().verify(
        base64.b64decode(params["paySign"]),
        f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )

    wechat.pay(number)
    body, headers = wechat.notification(wechat.transaction(number))
    answer = wechat.post(api_client, NOTIFY, body, headers)
    replay = wechat.post(api_client, NOTIFY, body, headers)
    again = wechat.emit(api_client, number)  # WeChat's own retry: new nonce, same facts

    for response in (answer, replay, again):
        assert (response.status_code, response.json()) == (200, {"code": "SUCCESS"})
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert (order.paid_amount, order.payment_no) == (order.total_amount, number)
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1
    assert list(order.events.values_list("type", flat=True)).count("pay") == 1
    txn = PaymentTransaction.objects.get(transaction_no=number)
    assert (txn.status, txn.paid_amount) == (PaymentTransaction.Status.PAID, order.total_amount)
    assert txn.channel_trade_no == trade["transaction_id"]
    assert txn.payer == OPENID and OPENID not in txn.payer_encrypted
    outcomes = list(
        CallbackRecord.objects.filter(channel="wechat")
        .order_by("id")
        .values_list("outcome", "verified")
    )
    assert outcomes == [("applied", True), ("duplicate", True), ("duplicate", True)]
    record = CallbackRecord.objects.filter(channel="wechat").first()
    assert set(record.headers) >= {"Wechatpay-Signature", "Wechatpay-Serial", "Wechatpay-Timestamp"}
    assert ChannelCall.objects.filter(channel="wechat", operation="create", ok=True).count() == 1


@pytest.mark.parametrize(("scene", "key"), [("native", "code_url"), ("h5", "h5_url")])
def test_native_and_h5_starts_answer_their_urls(wechat, placed, scene, key):
    order, client = placed
    started = _start(client, order, scene)
    assert started["pay_params"][key].startswith(("weixin://", "https://"))
    assert wechat.trades[started["transaction_no"]]["trade_type"] in ("NATIVE", "MWEB")


def test_jsapi_without_the_payers_openid_is_a_400_naming_the_field(wechat, placed):
    order, client = placed

    answer = _pay(client, order, "jsapi", payer_id="")

    assert answer.status_code == 400
    assert "payer_id" in answer.json()["error"]["fields"]
    assert wechat.trades == {}


def test_forged_or_stale_notifications_are_401_and_change_nothing(
    wechat, wechat_keys, placed, api_client
):
    order, client = placed
    number = _start(client, order)["transaction_no"]
    wechat.pay(number)
    resource = wechat.transaction(number)
    body, headers = wechat.notification(resource)
    envelope = json.loads(body)
    envelope["event_type"] = "TRANSACTION.SUCCESS "
    attempts = [
        (json.dumps(envelope).encode(), headers),  # tampered
        wechat.notification(resource, sign_key=wechat_keys.other),  # wrong key
        wechat.notification(resource, sign_key=new_key(), serial=new_serial()),  # unknown serial
        wechat.notification(resource, timestamp=int(time.time()) - 3600),  # old
        wechat.notification(resource, timestamp=int(time.time()) + 3600),  # future
        wechat.notification(resource | {"mchid": "1900000999"}),  # another merchant
        wechat.notification(resource | {"appid": "wx0000000000000000"}),  # another app
        wechat.notification(resource, flip_tag=True),  # broken GCM tag
    ]

    answers = [wechat.post(api_client, NOTIFY, b, h) for b, h in attempts]

    assert [a.status_code for a in answers] == [401] * len(attempts)
    assert all(a.json()["code"] == "FAIL" and a.json()["message"] for a in answers)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    assert PaymentTransaction.objects.get(transaction_no=number).status == "unpaid"
    records = CallbackRecord.objects.filter(channel="wechat")
    assert records.count() == len(attempts)
    assert set(records.values_list("outcome", "verified", "error_code")) == {
        ("rejected", False, "invalid_signature")
    }
    assert not ChannelCall.objects.filter(channel="wechat", operation="notify").exists()


def test_a_signed_notification_with_another_amount_is_an_anomaly_and_not_paid(
    wechat, placed, api_client
):
    order, client = placed
    number = _start(client, order)["transaction_no"]
    wechat.pay(number)
    resource = wechat.transaction(number)
    due = resource["amount"]["total"]
    resource["amount"] |= {"total": 1, "payer_total": 1}

    wrong = wechat.post(api_client, NOTIFY, *wechat.notification(resource))
    again = wechat.post(api_client, NOTIFY, *wechat.notification(resource))

    assert (wrong.status_code, wrong.json()["code"]) == (400, "FAIL")
    assert again.status_code == 400
    anomaly = PaymentAnomaly.objects.get(kind="amount_mismatch", reference_no=number)
    assert (anomaly.expected_amount, anomaly.reported_amount) == (
        order.total_amount,
        Decimal("0.01"),
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    txn = PaymentTransaction.objects.get(transaction_no=number)
    assert (txn.status, txn.paid_at) == ("unpaid", None)
    # The true notification (the amount due) is still applied.
    assert wechat.emit(api_client, number).status_code == 200
    order.refresh_from_db()
    assert order.paid_amount == order.total_amount == Decimal(due).scaleb(-2)


def test_a_server_that_cannot_be_reached_is_502_and_a_failed_sample(wechat, settings, placed):
    order, client = placed
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PAYMENT_GATEWAYS = {
        **settings.PAYMENT_GATEWAYS,
        "wechat": wechat.config(base_url=f"http://127.0.0.1:{port}", timeout_seconds=2),
    }

    down = _pay(client, order)

    assert down.status_code == 502 and down.json()["error"]["code"] == "channel_error"
    sample = ChannelCall.objects.get(channel="wechat", operation="create")
    assert sample.ok is False and sample.error_code
    txn = PaymentTransaction.objects.get(order=order)
    assert (txn.status, txn.pay_params) == ("unpaid", {})
    # The channel is back: the same transaction gets its pay parameters.
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "wechat": wechat.config()}
    assert _start(client, order)["transaction_no"] == txn.transaction_no


def test_the_query_fallback_applies_a_payment_whose_notification_never_came(
    wechat, placed, buyer, on_shelf_sku, member_client
):
    order, client = placed
    number = _start(client, order)["transaction_no"]
    wechat.pay(number)
    other = order_place(
        actor=buyer(), address=SHANGHAI, lines=[{"sku": on_shelf_sku(5).code, "quantity": 1}]
    )
    other_number = _start(member_client(other.member), other, "native")["transaction_no"]
    Order.objects.filter(pk=other.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    PaymentTransaction.objects.update(
        created_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    counts = transactions_query_due(actor=system_actor())

    assert counts == {"asked": 2, "applied": 1, "closed": 1, "failed": 0}
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW
    assert PaymentTransaction.objects.get(transaction_no=other_number).status == "cancelled"
    assert wechat.trades[other_number]["trade_state"] == "CLOSED"


@pytest.mark.parametrize(
    ("body", "signed"),
    [(b"", False), (b"{}", False), (b"\xff\xfe not utf-8", True), (b"[]", True), (b"{}", True)],
)
def test_bad_bodies_are_a_4xx_in_wechats_form_never_a_500(wechat, api_client, body, signed, db):
    headers = wechat.signed_headers(body) if signed else {}

    answer = wechat.post(api_client, NOTIFY, body, headers)

    assert answer.status_code == (400 if signed else 401)
    assert answer.json()["code"] == "FAIL"
    assert CallbackRecord.objects.get().outcome == "rejected"


def test_a_verified_notification_of_a_transaction_we_do_not_have_is_an_anomaly(
    wechat, api_client, db
):
    resource = {
        "appid": wechat.appid,
        "mchid": wechat.mch_id,
        "out_trade_no": "PT2026112800009999",
        "transaction_id": "4200000000202611280000000001",
        "trade_state": "SUCCESS",
        "success_time": "2026-11-28T10:00:00+08:00",
        "payer": {"openid": OPENID},
        "amount": {"total": 100, "payer_total": 100, "currency": "CNY"},
    }

    answer = wechat.post(api_client, NOTIFY, *wechat.notification(resource))

    assert (answer.status_code, answer.json()["code"]) == (400, "FAIL")
    anomaly = PaymentAnomaly.objects.get(kind="unknown_transaction")
    assert (anomaly.reference_no, anomaly.reported_amount) == (
        "PT2026112800009999",
        Decimal("1.00"),
    )
