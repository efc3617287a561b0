# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Alipay (RSA2, public-key mode) against a local fake of the open platform gateway."""

from __future__ import annotations

import socket
import urllib.parse
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ops.models import AuditEntry
from orders.models import Order
from orders.services.placement import order_place
from payments.gateways.alipay import AlipayGateway, rsa2_verify, sign_content
from payments.gateways.base import (
    CLOSED,
    NOTPAY,
    REFUND_PROCESSING,
    REFUND_SUCCESS,
    SUCCESS,
    ChannelError,
    InvalidNotification,
    InvalidSignature,
    PaymentRequest,
    RefundRequest,
)
from payments.models import CallbackRecord, ChannelCall, PaymentAnomaly, PaymentTransaction
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    on_shelf_sku,
)
from tests.payments.alipay_fake import (
    APP_ID,
    FakeAlipay,
    bare_base64,
    new_key,
    private_pem,
    public_pem,
)

D = Decimal
NOTIFY = "/api/v1/payments/notify/alipay/"


@pytest.fixture
def fake():
    server = FakeAlipay().start()
    yield server
    server.stop()


@pytest.fixture
def alipay(fake, settings):
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "alipay": fake.config()}
    return AlipayGateway(fake.config())


@pytest.fixture
def placed(alipay, buyer, on_shelf_sku, member_client):
    member = buyer()
    item = on_shelf_sku(10, price="100.00")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    return order, member_client(member)


def _start(client, order, scene="native", **extra) -> dict:
    answer = client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/",
        {"channel": "alipay", "scene": scene, **extra},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def _notify(api_client, body: bytes):
    return api_client.post(NOTIFY, data=body, content_type="application/x-www-form-urlencoded")


def _request(number="PT202611280000000001", scene="h5", amount="100.00", payer_id=""):
    return PaymentRequest(
        transaction_no=number,
        amount=D(amount),
        description="测试商品",
        scene=scene,
        expires_at=datetime(2026, 11, 28, 12, 30, tzinfo=ZoneInfo("UTC")),
        notify_url="https://mall.example.com" + NOTIFY,
        payer_id=payer_id,
    )


# --- paying end to end ----------------------------------------------------------------------


def test_a_valid_notification_pays_the_order_once(placed, fake, api_client):
    order, client = placed
    started = _start(client, order)
    number = started["transaction_no"]
    assert started["pay_params"]["qr_code"] == f"https://qr.alipay.com/{number}"
    body = fake.pay(number, "100.00")

    answer = _notify(api_client, body)
    replay = _notify(api_client, body)

    assert (answer.status_code, answer.content, answer["Content-Type"]) == (
        200,
        b"success",
        "text/plain",
    )
    assert (replay.status_code, replay.content) == (200, b"success")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW and order.paid_amount == D("100.00")
    txn = PaymentTransaction.objects.get(transaction_no=number)
    assert txn.status == "paid" and txn.channel_trade_no == fake.trades[number]["trade_no"]
    assert txn.paid_at == datetime(2026, 11, 28, 12, 1, 2, tzinfo=ZoneInfo("UTC"))
    assert txn.payer == "2088102177846880"
    assert AuditEntry.objects.filter(action="order.pay", object_id=str(order.pk)).count() == 1
    outcomes = list(
        CallbackRecord.objects.filter(channel="alipay")
        .order_by("id")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["applied", "duplicate"]
    assert ChannelCall.objects.filter(channel="alipay", operation="create", ok=True).count() == 1


def test_trade_finished_is_applied_and_wait_buyer_pay_is_ignored(placed, fake, api_client):
    order, client = placed
    number = _start(client, order, scene="h5")["transaction_no"]
    trade = fake.open_trade(number, "100.00")

    waiting = _notify(api_client, fake.notification(trade))
    order.refresh_from_db()
    assert waiting.content == b"success" and order.status == Order.Status.PENDING_PAYMENT
    assert CallbackRecord.objects.get(channel="alipay").outcome == "ignored"

    finished = _notify(
        api_client,
        fake.notification(trade, trade_status="TRADE_FINISHED", gmt_payment="2026-11-28 20:05:00"),
    )
    order.refresh_from_db()
    assert finished.content == b"success" and order.status == Order.Status.PENDING_REVIEW


@pytest.mark.parametrize(
    "change",
    ["tampered", "wrong_key", "wrong_app_id", "wrong_seller_id", "unsigned", "md5_sign_type"],
)
def test_a_forged_notification_is_refused_and_changes_nothing(placed, fake, api_client, change):
    order, client = placed
    number = _start(client, order, scene="h5")["transaction_no"]
    body = fake.pay(number, "100.00")
    if change == "tampered":
        body = body.replace(b"total_amount=100.00", b"total_amount=1.00")
        assert b"total_amount=1.00" in body
    elif change == "wrong_key":
        body = fake.pay(number, "100.00", key=new_key())
    elif change == "wrong_app_id":
        body = fake.pay(number, "100.00", app_id="2021000000009999")
    elif change == "wrong_seller_id":
        body = fake.pay(number, "100.00", seller_id="2088000000009999")
    elif change == "unsigned":
        fields = dict(urllib.parse.parse_qsl(body.decode()))
        fields.pop("sign")
        body = urllib.parse.urlencode(fields).encode()
    else:
        fields = dict(urllib.parse.parse_qsl(body.decode()))
        fields["sign_type"] = "RSA"
        body = urllib.parse.urlencode(fields).encode()

    answer = _notify(api_client, body)

    assert (answer.status_code, answer.content) == (401, b"fail")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    record = CallbackRecord.objects.get(channel="alipay")
    assert (record.outcome, record.verified) == ("rejected", False)


def test_a_signed_amount_other_than_due_is_an_anomaly_and_not_paid(placed, fake, api_client):
    order, client = placed
    number = _start(client, order, scene="h5")["transaction_no"]

    answer = _notify(api_client, fake.pay(number, "1.00"))
    again = _notify(api_client, fake.pay(number, "1.00"))

    assert (answer.status_code, answer.content) == (400, b"fail")
    assert again.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    anomaly = PaymentAnomaly.objects.get(reference_no=number)
    assert (anomaly.kind, anomaly.reported_amount) == ("amount_mismatch", D("1.00"))


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"", 401), (b"not a form %zz", 400), (b"a=1&a=2", 400), (b"\xff\xfe=1", 400)],
)
def test_a_body_that_is_not_a_form_is_refused(alipay, api_client, body, status, db):
    answer = _notify(api_client, body)
    assert (answer.status_code, answer.content) == (status, b"fail")


def test_an_unreadable_key_is_a_channel_error_not_a_crash(fake):
    gateway = AlipayGateway(fake.config(private_key="not a key"))
    with pytest.raises(ChannelError) as broken:
        gateway.create_payment(_request(scene="app"))
    assert broken.value.channel_code == "ALIPAY_CONFIG"


def test_a_signed_notification_without_a_trade_status_is_400(alipay, fake, api_client, db):
    body = fake.signed_form(
        {"app_id": APP_ID, "seller_id": fake.config()["seller_id"], "out_trade_no": "PT1"}
    )
    answer = _notify(api_client, body)
    assert (answer.status_code, answer.content) == (400, b"fail")


def test_a_gbk_notification_is_read_in_its_charset(alipay, fake):
    trade = fake.open_trade("PT202611280000000009", "100.00")
    fields = dict(
        urllib.parse.parse_qsl(fake.notification(trade, trade_status="TRADE_SUCCESS").decode())
    )
    fields["charset"] = "gbk"
    fields.pop("sign")
    gbk_body = fake.signed_form(fields)  # signed over the GBK bytes, as Alipay does

    notice = alipay.parse_notify(headers={}, body=gbk_body)

    assert notice.status == SUCCESS and notice.raw["subject"] == "测试商品"


@pytest.mark.parametrize("charset", ["unicode_escape", "raw_unicode_escape", "utf-7", "rot13"])
def test_a_charset_alipay_never_sends_is_refused_before_anything_is_decoded(alipay, charset):
    body = f"charset={charset}&app_id=1&x=%5Cud800&sign=AAAA".encode()

    with pytest.raises(InvalidNotification):
        alipay.parse_notify(headers={}, body=body)


def test_key_rotation_and_bare_base64_keys(fake):
    old = new_key()
    config = fake.config(
        private_key=bare_base64(private_pem(fake.app_key)),
        alipay_public_key=[bare_base64(public_pem(fake.alipay_key)), public_pem(old)],
    )
    gateway = AlipayGateway(config)
    trade = fake.open_trade("PT202611280000000010", "5.00")
    trade["trade_status"] = "TRADE_SUCCESS"

    by_new = gateway.parse_notify(headers={}, body=fake.notification(trade))
    by_old = gateway.parse_notify(headers={}, body=fake.notification(trade, key=old))
    with pytest.raises(InvalidSignature):
        gateway.parse_notify(headers={}, body=fake.notification(trade, key=new_key()))

    assert by_new.amount == by_old.amount == D("5.00")
    assert gateway.query_payment(transaction_no="PT202611280000000010").status == SUCCESS


# --- the client's pay parameters -----------------------------------------------------------


def test_app_and_h5_parameters_are_signed_by_our_key(alipay, fake):
    app = alipay.create_payment(_request(scene="app"))
    h5 = alipay.create_payment(_request(scene="h5"))

    for params in (
        dict(urllib.parse.parse_qsl(app["order_string"])),
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(h5["pay_url"]).query)),
    ):
        text = sign_content(params)
        assert rsa2_verify([fake.app_key.public_key()], text, params["sign"])
        assert params["app_id"] == APP_ID and params["sign_type"] == "RSA2"
        assert '"total_amount":"100.00"' in params["biz_content"]
        assert '"time_expire":"2026-11-28 20:30:00"' in params["biz_content"]
    assert dict(urllib.parse.parse_qsl(app["order_string"]))["method"] == "alipay.trade.app.pay"
    assert h5["pay_url"].startswith(fake.gateway_url + "?")
    assert fake.requests == []  # neither asks the server


def test_jsapi_and_mini_program_create_the_trade_for_the_buyer(alipay, fake):
    from payments.exceptions import InvalidPaymentInput

    with pytest.raises(InvalidPaymentInput):
        alipay.create_payment(_request(scene="mini_program"))
    no_buyer = alipay.create_payment(_request(scene="jsapi"))
    assert fake.requests == [] and "method=alipay.trade.wap.pay" in no_buyer["pay_url"]

    answer = alipay.create_payment(_request(scene="jsapi", payer_id="2088102177846880"))
    assert answer["trade_no"] == fake.trades["PT202611280000000001"]["trade_no"]
    assert fake.requests[-1]["method"] == "alipay.trade.create"
    assert '"buyer_id":"2088102177846880"' in fake.requests[-1]["biz_content"]


# --- the server's answers ---------------------------------------------------------------


def test_query_close_and_their_answers(alipay, fake):
    assert alipay.query_payment(transaction_no="PT_UNKNOWN").status == NOTPAY
    alipay.close_payment(transaction_no="PT_UNKNOWN")  # never created: nothing to close

    fake.open_trade("PT202611280000000002", "10.00")
    waiting = alipay.query_payment(transaction_no="PT202611280000000002")
    alipay.close_payment(transaction_no="PT202611280000000002")
    closed = alipay.query_payment(transaction_no="PT202611280000000002")

    fake.pay("PT202611280000000003", "20.00")
    paid = alipay.query_payment(transaction_no="PT202611280000000003")
    with pytest.raises(ChannelError) as refused:
        alipay.close_payment(transaction_no="PT202611280000000003")

    assert (waiting.status, closed.status) == (NOTPAY, CLOSED)
    assert fake.trades["PT202611280000000002"]["trade_status"] == "TRADE_CLOSED"
    assert (paid.status, paid.amount, paid.channel_trade_no) == (
        SUCCESS,
        D("20.00"),
        fake.trades["PT202611280000000003"]["trade_no"],
    )
    assert paid.paid_at == datetime(2026, 11, 28, 20, 1, 2, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert refused.value.channel_code == "ACQ.TRADE_STATUS_ERROR"
    assert refused.value.retryable is False


def test_a_query_paid_is_applied_through_the_query_fallback(placed, fake, api_client):
    from mall.core.actors import system_actor
    from payments.services.transactions import payment_apply

    order, client = placed
    number = _start(client, order)["transaction_no"]
    fake.pay(number, "100.00")

    notice = AlipayGateway(fake.config()).query_payment(transaction_no=number)
    result = payment_apply(actor=system_actor(), channel="alipay", notice=notice, source="query")

    order.refresh_from_db()
    assert result.outcome == "applied" and order.status == Order.Status.PENDING_REVIEW


def test_refund_full_partial_repeat_and_query(alipay, fake):
    fake.pay("PT202611280000000004", "30.00")
    request = RefundRequest(
        refund_no="RF202611280000000001",
        transaction_no="PT202611280000000004",
        channel_trade_no=fake.trades["PT202611280000000004"]["trade_no"],
        amount=D("10.00"),
        total_amount=D("30.00"),
        reason="退货",
        notify_url="",
    )

    first = alipay.refund(request)
    repeat = alipay.refund(request)  # same out_request_no: no money moves again
    unknown = alipay.query_refund(
        refund_no="RF202611280000000009", transaction_no="PT202611280000000004"
    )
    too_much = RefundRequest(**{**request.__dict__, "refund_no": "RF2", "amount": D("25.00")})
    with pytest.raises(ChannelError) as refused:
        alipay.refund(too_much)

    assert (first.status, first.amount) == (REFUND_SUCCESS, D("10.00"))
    assert (repeat.status, repeat.amount) == (REFUND_SUCCESS, D("10.00"))
    assert unknown.status == REFUND_PROCESSING
    assert fake.trades["PT202611280000000004"]["refunds"] == {"RF202611280000000001": "10.00"}
    assert refused.value.channel_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    sent = next(p for p in fake.requests if p["method"] == "alipay.trade.refund")
    assert '"out_request_no":"RF202611280000000001"' in sent["biz_content"]


def test_a_refund_notification_is_parsed_as_the_refund_and_as_the_trade(alipay, fake):
    fake.pay("PT202611280000000005", "30.00")
    trade = fake.trades["PT202611280000000005"]
    body = fake.notification(
        trade,
        out_biz_no="RF202611280000000002",
        refund_fee="12.00",
        gmt_refund="2026-11-29 10:00:00.320",
    )

    refund = alipay.parse_refund_notify(headers={}, body=body)
    as_trade = alipay.parse_notify(headers={}, body=body)

    assert (refund.refund_no, refund.status) == ("RF202611280000000002", REFUND_SUCCESS)
    assert refund.succeeded_at == datetime(
        2026, 11, 29, 10, 0, 0, 320000, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert "buyer_id" not in refund.raw and refund.raw["refund_fee"] == "12.00"
    assert (as_trade.status, as_trade.amount) == (SUCCESS, D("30.00"))
    with pytest.raises(InvalidNotification):
        alipay.parse_refund_notify(headers={}, body=fake.notification(trade))


def test_bill_download(alipay, fake):
    fake.bills["2026-11-27"] = b"PK\x03\x04 a zip of GBK csv files"

    content = alipay.download_bill(bill_date=date(2026, 11, 27))

    assert content == b"PK\x03\x04 a zip of GBK csv files"
    with pytest.raises(ChannelError) as missing:
        alipay.download_bill(bill_date=date(2026, 11, 26))
    assert missing.value.channel_code == "isp.bill_not_exist"


def test_our_requests_signed_with_another_key_are_refused_by_the_server(fake):
    gateway = AlipayGateway(fake.config(private_key=private_pem(new_key())))
    with pytest.raises(ChannelError) as refused:
        gateway.query_payment(transaction_no="PT202611280000000006")
    assert refused.value.channel_code == "isv.invalid-signature"


def test_an_answer_with_a_bad_signature_is_a_channel_error(alipay, fake):
    fake.bad_answer_sign = True
    with pytest.raises(ChannelError) as bad:
        alipay.query_payment(transaction_no="PT202611280000000007")
    assert bad.value.channel_code == "ALIPAY_BAD_SIGNATURE"


def test_server_down_or_failing_is_a_channel_error_and_a_health_sample(fake, db):
    from payments.samples import record_call

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    down = AlipayGateway(
        fake.config(gateway_url=f"http://127.0.0.1:{closed_port}/gateway.do"), on_call=record_call
    )
    with pytest.raises(ChannelError):
        down.query_payment(transaction_no="PT202611280000000008")

    fake.fail_status = 502
    failing = AlipayGateway(fake.config(), on_call=record_call)
    with pytest.raises(ChannelError) as bad_gateway:
        failing.refund(
            RefundRequest(
                refund_no="RF1",
                transaction_no="PT1",
                channel_trade_no="",
                amount=D("1.00"),
                total_amount=D("1.00"),
                reason="",
                notify_url="",
            )
        )

    assert bad_gateway.value.channel_code == "HTTP502"
    samples = list(
        ChannelCall.objects.filter(channel="alipay").order_by("id").values_list("operation", "ok")
    )
    assert samples == [("query", False), ("refund", False)]


def test_starting_on_a_scene_needing_a_buyer_id_without_one_is_400(placed):
    """The mini-program pays a trade created for its buyer: no buyer id, no payment."""
    order, client = placed
    answer = client.post(
        f"/api/v1/store/orders/{order.order_no}/pay/",
        {"channel": "alipay", "scene": "mini_program"},
        format="json",
    )
    assert answer.status_code == 400
    assert "payer_id" in answer.json()["error"]["fields"]
