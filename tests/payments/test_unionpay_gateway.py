# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""UnionPay online gateway 5.1.0 (signMethod 01) against a local fake of its server."""

from __future__ import annotations

import socket
import urllib.parse
from datetime import date
from decimal import Decimal

import pytest

from ops.models import AuditEntry
from orders.models import Order
from orders.services.placement import order_place
from payments.gateways.base import (
    FAILED,
    NOTPAY,
    REFUND_FAILED,
    REFUND_PROCESSING,
    REFUND_SUCCESS,
    SUCCESS,
    ChannelError,
    InvalidNotification,
    InvalidSignature,
    PaymentRequest,
    RefundRequest,
)
from payments.gateways.unionpay import UnionPayGateway, parse_answer, txn_time_for
from payments.models import CallbackRecord, ChannelCall, PaymentAnomaly, PaymentTransaction
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    on_shelf_sku,
)
from tests.payments.unionpay_fake import CertChain, FakeUnionPay, key_pem, new_key

D = Decimal
NOTIFY = "/api/v1/payments/notify/unionpay/"
NUMBER = "PT202611280000000001"


@pytest.fixture
def fake():
    server = FakeUnionPay().start()
    yield server
    server.stop()


@pytest.fixture
def unionpay(fake, settings):
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "unionpay": fake.config()}
    return UnionPayGateway(fake.config())


@pytest.fixture
def placed(unionpay, buyer, on_shelf_sku, member_client):
    member = buyer()
    item = on_shelf_sku(10, price="100.00")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    return order, member_client(member)


def _start(client, order, scene="h5") -> dict:
    answer = client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/",
        {"channel": "unionpay", "scene": scene},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def _notify(api_client, body: bytes):
    return api_client.post(NOTIFY, data=body, content_type="application/x-www-form-urlencoded")


def _refund_request(query_id: str, refund_no="RF202611280000000001", amount="40.00"):
    return RefundRequest(
        refund_no=refund_no,
        transaction_no=NUMBER,
        channel_trade_no=query_id,
        amount=D(amount),
        total_amount=D("100.00"),
        reason="退货",
        notify_url="https://mall.example.com/api/v1/payments/notify/unionpay/refund/",
    )


# --- paying end to end ------------------------------------------------------------------------


def test_a_valid_notification_pays_the_order_once(placed, fake, api_client):
    order, client = placed
    started = _start(client, order)
    number = started["transaction_no"]
    params = started["pay_params"]
    assert params["action"] == f"{fake.base_url}/gateway/api/frontTransReq.do"
    assert fake.verifies_merchant(params["fields"])  # signed with our key, our certId
    assert (params["fields"]["txnAmt"], params["fields"]["orderId"]) == ("10000", number)
    assert params["fields"]["txnTime"] == txn_time_for(number) == f"{number[2:10]}000000"
    body = fake.pay(number, "10000")

    answer = _notify(api_client, body)
    replay = _notify(api_client, body)

    assert (answer.status_code, answer.content) == (200, b"ok")
    assert replay.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW and order.paid_amount == D("100.00")
    txn = PaymentTransaction.objects.get(transaction_no=number)
    assert txn.status == "paid" and txn.channel_trade_no == fake.orders[number]["queryId"]
    assert txn.payer == "6216***********0018"
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1
    outcomes = CallbackRecord.objects.filter(channel="unionpay").order_by("id")
    assert list(outcomes.values_list("outcome", flat=True)) == ["applied", "duplicate"]


def _forged(fake, number: str, change: str) -> bytes:
    if change == "tampered":
        return fake.pay(number, "10000").replace(b"txnAmt=10000", b"txnAmt=100")
    if change == "wrong_key":  # UnionPay's certificate, another key
        return fake.pay(number, "10000", key=new_key())
    if change == "other_ca":
        key, cert = CertChain("FORGED ROOT").signing()
        return fake.pay(number, "10000", key=key, cert=cert)
    if change == "expired":
        key, cert = fake.chain.signing(days_valid=(-400, -1))
        return fake.pay(number, "10000", key=key, cert=cert)
    if change == "not_unionpay":
        key, cert = fake.chain.signing(cn="041@Z12345678@某某科技有限公司@00000001")
        return fake.pay(number, "10000", key=key, cert=cert)
    if change == "wrong_mer_id":
        return fake.pay(number, "10000", merId="777290058119999")
    fields = dict(urllib.parse.parse_qsl(fake.pay(number, "10000").decode()))
    fields.pop("signature")
    return urllib.parse.urlencode(fields).encode()


@pytest.mark.parametrize(
    "change",
    ["tampered", "wrong_key", "other_ca", "expired", "not_unionpay", "wrong_mer_id", "unsigned"],
)
def test_a_forged_notification_is_refused_and_changes_nothing(placed, fake, api_client, change):
    order, client = placed
    number = _start(client, order)["transaction_no"]

    answer = _notify(api_client, _forged(fake, number, change))

    assert (answer.status_code, answer.content) == (401, b"fail")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    record = CallbackRecord.objects.get(channel="unionpay")
    assert (record.outcome, record.verified) == ("rejected", False)


def test_a_failed_payment_is_recorded_and_the_order_stays_unpaid(placed, fake, api_client):
    order, client = placed
    number = _start(client, order)["transaction_no"]

    answer = _notify(api_client, fake.pay(number, "10000", resp_code="61"))

    assert answer.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert "payment_failed" in list(order.events.values_list("type", flat=True))


def test_a_signed_amount_other_than_due_is_an_anomaly_and_not_paid(placed, fake, api_client):
    order, client = placed
    number = _start(client, order)["transaction_no"]

    answer = _notify(api_client, fake.pay(number, "9999"))

    assert (answer.status_code, answer.content) == (400, b"fail")
    order.refresh_from_db()
    assert order.paid_at is None
    anomaly = PaymentAnomaly.objects.get(reference_no=number)
    assert (anomaly.kind, anomaly.reported_amount) == ("amount_mismatch", D("99.99"))


def test_a_refund_notification_on_the_payment_url_is_400(unionpay, fake, api_client, db):
    fake.pay(NUMBER, "10000")
    refund = {**fake.orders[NUMBER], "orderId": "RF1", "txnType": "04", "origQryId": "X"}
    answer = _notify(api_client, fake.notification(refund))
    assert answer.status_code == 400


def test_the_test_environment_certificate_passes_when_cn_checking_is_off(fake):
    key, cert = fake.chain.signing(cn="acp_test_verify_sign")
    body = fake.pay(NUMBER, "10000", key=key, cert=cert)

    with pytest.raises(InvalidSignature):
        UnionPayGateway(fake.config()).parse_notify(headers={}, body=body)
    notice = UnionPayGateway(fake.config(validate_cn_name=False)).parse_notify(
        headers={}, body=body
    )
    assert (notice.status, notice.amount) == (SUCCESS, D("100.00"))
    assert "accNo" not in notice.raw and "signPubKeyCert" not in notice.raw


# --- the server --------------------------------------------------------------------------------


def _request(scene="app") -> PaymentRequest:
    return PaymentRequest(
        transaction_no=NUMBER,
        amount=D("100.00"),
        description="测试商品",
        scene=scene,
        expires_at=None,
        notify_url="https://mall.example.com" + NOTIFY,
    )


def test_the_default_scene_gets_the_same_front_form(placed, fake):
    order, client = placed
    answer = client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/", {"channel": "unionpay"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    fields = answer.json()["pay_params"]["fields"]
    assert fake.verifies_merchant(fields) and fields["channelType"] == "08"


def test_app_payment_answers_a_tn(unionpay, fake):
    answer = unionpay.create_payment(_request("app"))
    assert answer["tn"] == f"TN{fake.orders[NUMBER]['queryId']}"
    assert fake.requests[-1]["path"] == "/gateway/api/appTransReq.do"


def test_query_and_close(unionpay, fake):
    unknown = unionpay.query_payment(transaction_no=NUMBER)
    unionpay.create_payment(_request("app"))
    waiting = unionpay.query_payment(transaction_no=NUMBER)
    fake.pay(NUMBER, "10000")
    paid = unionpay.query_payment(transaction_no=NUMBER)
    sent = len(fake.requests)
    unionpay.close_payment(transaction_no=NUMBER)

    assert (unknown.status, waiting.status) == (NOTPAY, NOTPAY)
    assert (paid.status, paid.amount) == (SUCCESS, D("100.00"))
    assert paid.channel_trade_no == fake.orders[NUMBER]["queryId"]
    assert len(fake.requests) == sent  # closing asks nothing: UnionPay has no close
    queries = [r for r in fake.requests if r["path"] == "/gateway/api/queryTrans.do"]
    assert {q["txnTime"] for q in queries} == {"20261128000000"}


def test_a_failed_payment_queried_is_failed(unionpay, fake):
    fake.pay(NUMBER, "10000", resp_code="61")
    assert unionpay.query_payment(transaction_no=NUMBER).status == FAILED


def test_refund_query_and_notification(unionpay, fake):
    fake.pay(NUMBER, "10000")
    query_id = fake.orders[NUMBER]["queryId"]

    sent = unionpay.refund(_refund_request(query_id))
    again = unionpay.refund(_refund_request(query_id))
    queried = unionpay.query_refund(refund_no="RF202611280000000001", transaction_no=NUMBER)
    missing = unionpay.query_refund(refund_no="RF202611280000000002", transaction_no=NUMBER)
    notified = unionpay.parse_refund_notify(
        headers={}, body=fake.notification(fake.orders["RF202611280000000001"])
    )
    with pytest.raises(ChannelError) as too_much:
        unionpay.refund(_refund_request(query_id, "RF202611280000000003", "70.00"))
    with pytest.raises(ChannelError) as no_query_id:
        unionpay.refund(_refund_request(""))
    with pytest.raises(InvalidNotification):
        unionpay.parse_refund_notify(headers={}, body=fake.pay(NUMBER, "10000"))

    assert (sent.status, again.status) == (REFUND_PROCESSING, REFUND_PROCESSING)
    refunds = [o for o in fake.orders.values() if o["txnType"] == "04"]
    assert [(r["orderId"], r["txnAmt"]) for r in refunds] == [("RF202611280000000001", "4000")]
    assert (queried.status, queried.amount) == (REFUND_SUCCESS, D("40.00"))
    assert missing.status == REFUND_FAILED
    assert (notified.refund_no, notified.status, notified.amount) == (
        "RF202611280000000001",
        REFUND_SUCCESS,
        D("40.00"),
    )
    assert too_much.value.channel_code == "UNIONPAY_12" and too_much.value.retryable is False
    assert no_query_id.value.channel_code == "UNIONPAY_NO_QUERY_ID"


def test_bill_download(unionpay, fake):
    fake.files["1127"] = b"PK\x03\x04 settlement files"

    assert unionpay.download_bill(bill_date=date(2026, 11, 27)) == b"PK\x03\x04 settlement files"
    with pytest.raises(ChannelError) as missing:
        unionpay.download_bill(bill_date=date(2026, 11, 26))
    assert missing.value.channel_code == "UNIONPAY_98"


def test_our_request_signed_with_another_key_is_refused(fake):
    gateway = UnionPayGateway(fake.config(merchant_key=key_pem(new_key())))
    with pytest.raises(ChannelError) as refused:
        gateway.query_payment(transaction_no=NUMBER)
    assert refused.value.channel_code == "UNIONPAY_11"


def test_an_answer_not_signed_by_unionpay_is_a_channel_error(unionpay, fake):
    fake.sign_key, fake.sign_cert = CertChain("FORGED ROOT").signing()
    with pytest.raises(ChannelError) as bad:
        unionpay.query_payment(transaction_no=NUMBER)
    assert bad.value.channel_code == "UNIONPAY_BAD_SIGNATURE"


def test_server_down_or_failing_is_a_channel_error_and_a_health_sample(fake, db):
    from payments.samples import record_call

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = UnionPayGateway(fake.config(gateway_url=f"http://127.0.0.1:{port}"), on_call=record_call)
    with pytest.raises(ChannelError):
        down.query_payment(transaction_no=NUMBER)
    fake.fail_status = 503
    with pytest.raises(ChannelError) as unavailable:
        UnionPayGateway(fake.config(), on_call=record_call).create_payment(_request("app"))

    assert unavailable.value.channel_code == "HTTP503"
    samples = ChannelCall.objects.filter(channel="unionpay").order_by("id")
    assert list(samples.values_list("operation", "ok")) == [("query", False), ("create", False)]


def test_raw_answers_with_braces_are_split_outside_them():
    fields = parse_answer("respCode=00&reserved={a=1&b=2}&signPubKeyCert=AB+c/d==")
    assert fields == {"respCode": "00", "reserved": "{a=1&b=2}", "signPubKeyCert": "AB+c/d=="}
    with pytest.raises(ValueError):
        parse_answer("<html>")
