# ruff: noqa: F811 - fixtures imported from wechat_fake are parameters here
"""The WeChat Pay v3 adapter against a local fake WeChat Pay server (tests/payments/wechat_fake.py).

Signing of our requests, verification of the answers and notifications (signature,
platform certificate serial, timestamp window, merchant and app, APIv3 decryption),
every scene, query / close, refunds, bills, and a server that cannot be reached.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import time
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from payments.exceptions import InvalidPaymentInput
from payments.gateways.base import (
    CLOSED,
    NOTPAY,
    REFUND_FAILED,
    REFUND_PROCESSING,
    REFUND_SUCCESS,
    SUCCESS,
    ChannelError,
    ChannelUnavailable,
    InvalidNotification,
    InvalidSignature,
    PaymentRequest,
    RefundRequest,
)
from payments.gateways.wechat import WechatPayGateway, from_fen, to_fen
from tests.payments.wechat_fake import (  # noqa: F401 - fixtures
    APPID,
    fake,
    new_key,
    new_serial,
    private_pem,
    public_pem,
    self_signed_cert,
    wechat_keys,
)

D = Decimal
NOTIFY_URL = "https://mall.example.com/api/v1/payments/notify/wechat/"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


class Calls:
    """The gateway's ``on_call`` samples, as (channel, operation, ok, code)."""

    def __init__(self):
        self.samples = []

    def __call__(self, channel, operation, ok, latency_ms, code):
        assert latency_ms >= 0
        self.samples.append((channel, operation, ok, code))


@pytest.fixture
def calls():
    return Calls()


@pytest.fixture
def gateway(fake, calls):
    def make(**overrides) -> WechatPayGateway:
        return WechatPayGateway(fake.config(**overrides), on_call=calls)

    return make


def _request(number: str, amount: str = "123.45", scene: str = "jsapi", payer: str = OPENID):
    return PaymentRequest(
        transaction_no=number,
        amount=D(amount),
        description="测试商品 Test product",
        scene=scene,
        expires_at=dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC),
        notify_url=NOTIFY_URL,
        client_ip="203.0.113.7",
        payer_id=payer,
    )


def _verify(public_key, signature: str, message: str) -> None:
    public_key.verify(
        base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


# --- amounts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [("0.01", 1), ("19.99", 1999), ("100", 10000), ("123456789.99", 12345678999), ("0.10", 10)],
)
def test_amounts_go_to_fen_and_back_exactly(yuan, fen):
    assert to_fen(D(yuan)) == fen
    assert from_fen(fen) == D(yuan).quantize(D("0.01"))
    assert str(from_fen(fen)) == f"{D(yuan):.2f}"


@pytest.mark.parametrize("bad", [D("1.005"), D("-1.00"), D("NaN"), D("Infinity")])
def test_an_amount_with_fractions_of_a_fen_is_refused_not_rounded(bad):
    with pytest.raises(ValueError):
        to_fen(bad)


@pytest.mark.parametrize("bad", [1.5, "100", True, -1, None])
def test_fen_from_the_channel_must_be_a_non_negative_integer(bad):
    with pytest.raises(ValueError):
        from_fen(bad)


# --- creating a payment, each scene -----------------------------------------------------


def test_jsapi_answers_pay_parameters_signed_with_the_merchant_key(fake, gateway, wechat_keys):
    params = gateway().create_payment(_request("PT2026112800000001"))

    sent = fake.requests[-1]
    assert sent["path"] == "/v3/pay/transactions/jsapi"
    assert sent["body"]["amount"] == {"total": 12345, "currency": "CNY"}
    assert sent["body"]["payer"] == {"openid": OPENID}
    assert sent["body"]["notify_url"] == NOTIFY_URL
    assert sent["body"]["time_expire"] == "2026-11-28T20:00:00+08:00"
    assert (sent["body"]["appid"], sent["body"]["mchid"]) == (APPID, fake.mch_id)
    prepay = fake.trades["PT2026112800000001"]["prepay_id"]
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"] == f"prepay_id={prepay}"
    assert (params["appId"], params["signType"]) == (APPID, "RSA")
    assert abs(int(params["timeStamp"]) - time.time()) < 60
    _verify(
        wechat_keys.merchant.public_key(),
        params["paySign"],
        f"{APPID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n",
    )


def test_a_long_chinese_description_is_cut_to_127_bytes_on_a_character_boundary(fake, gateway):
    request = PaymentRequest(
        **{**_request("PT2026112800000015").__dict__, "description": "商" * 60}
    )

    gateway().create_payment(request)

    sent = fake.requests[-1]["body"]["description"]
    assert sent == "商" * 42 and len(sent.encode()) == 126


def test_mini_program_uses_its_own_app_id_when_configured(fake, gateway, wechat_keys):
    params = gateway(mini_program_appid="wxminiprogram0001").create_payment(
        _request("PT2026112800000002", scene="mini_program")
    )

    assert fake.requests[-1]["path"] == "/v3/pay/transactions/jsapi"
    assert fake.requests[-1]["body"]["appid"] == "wxminiprogram0001"
    assert params["appId"] == "wxminiprogram0001"
    _verify(
        wechat_keys.merchant.public_key(),
        params["paySign"],
        f"wxminiprogram0001\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n",
    )


@pytest.mark.parametrize("scene", ["jsapi", "mini_program"])
def test_jsapi_and_mini_program_without_an_openid_are_a_clear_400_and_ask_nothing(
    fake, gateway, scene
):
    with pytest.raises(InvalidPaymentInput) as raised:
        gateway().create_payment(_request("PT2026112800000003", scene=scene, payer=""))

    assert raised.value.status_code == 400
    assert "payer_id" in raised.value.fields
    assert fake.requests == []


def test_app_answers_the_sdk_parameters_signed(fake, gateway, wechat_keys):
    params = gateway().create_payment(_request("PT2026112800000004", scene="app", payer=""))

    assert fake.requests[-1]["path"] == "/v3/pay/transactions/app"
    assert "payer" not in fake.requests[-1]["body"]
    prepay = fake.trades["PT2026112800000004"]["prepay_id"]
    assert (params["prepayid"], params["partnerid"], params["package"]) == (
        prepay,
        fake.mch_id,
        "Sign=WXPay",
    )
    _verify(
        wechat_keys.merchant.public_key(),
        params["sign"],
        f"{APPID}\n{params['timestamp']}\n{params['noncestr']}\n{prepay}\n",
    )


def test_h5_answers_the_h5_url_and_sends_the_client_ip(fake, gateway):
    params = gateway().create_payment(_request("PT2026112800000005", scene="h5", payer=""))

    sent = fake.requests[-1]
    assert sent["path"] == "/v3/pay/transactions/h5"
    assert sent["body"]["scene_info"] == {
        "payer_client_ip": "203.0.113.7",
        "h5_info": {"type": "Wap"},
    }
    assert params == {
        "h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id="
        + fake.trades["PT2026112800000005"]["prepay_id"]
    }


def test_h5_without_the_payers_ip_is_refused_before_asking(fake, gateway):
    request = PaymentRequest(
        **{**_request("PT2026112800000013", scene="h5").__dict__, "client_ip": ""}
    )

    with pytest.raises(InvalidPaymentInput):
        gateway().create_payment(request)

    assert fake.requests == []


def test_without_a_public_notify_url_wechat_is_not_asked(fake, gateway):
    request = PaymentRequest(
        **{
            **_request("PT2026112800000014").__dict__,
            "notify_url": "/api/v1/payments/notify/wechat/",
        }
    )

    with pytest.raises(ChannelUnavailable) as raised:
        gateway().create_payment(request)

    assert raised.value.status_code == 400 and fake.requests == []


def test_native_answers_the_code_url(fake, gateway):
    params = gateway().create_payment(_request("PT2026112800000006", "0.01", scene="native"))

    assert fake.requests[-1]["path"] == "/v3/pay/transactions/native"
    assert fake.requests[-1]["body"]["amount"]["total"] == 1
    assert params["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")


def test_a_request_signed_with_another_merchant_key_is_refused_by_wechat(fake, gateway, calls):
    wrong = gateway(private_key=private_pem(new_key()))

    with pytest.raises(ChannelError) as raised:
        wrong.create_payment(_request("PT2026112800000007"))

    assert raised.value.channel_code == "SIGN_ERROR" and raised.value.retryable is False
    assert fake.rejected == ["signature"] and fake.trades == {}
    assert calls.samples == [("wechat", "create", False, "SIGN_ERROR")]


def test_an_answer_not_signed_by_a_trusted_platform_key_is_not_believed(fake, gateway):
    fake.answer_key = new_key()

    with pytest.raises(ChannelError) as raised:
        gateway().create_payment(_request("PT2026112800000008"))

    assert raised.value.channel_code == "ANSWER_NOT_VERIFIED"


def test_the_merchant_key_can_be_read_from_a_file(fake, gateway, tmp_path, wechat_keys):
    path = tmp_path / "apiclient_key.pem"
    path.write_text(private_pem(wechat_keys.merchant))
    cert = tmp_path / "wechatpay_platform.pem"
    cert.write_text(wechat_keys.platform_cert)
    from_files = gateway(
        private_key="",
        private_key_path=str(path),
        platform_certs={wechat_keys.platform_serial: str(cert)},
    )

    params = from_files.create_payment(_request("PT2026112800000009", scene="native"))

    assert params["code_url"]


# --- query and close --------------------------------------------------------------------


def test_query_reports_not_paid_then_paid_with_the_channel_facts(fake, gateway, calls):
    channel = gateway()
    channel.create_payment(_request("PT2026112800000010", "88.00"))

    before = channel.query_payment(transaction_no="PT2026112800000010")
    trade = fake.pay("PT2026112800000010", payer_total=8000)
    after = channel.query_payment(transaction_no="PT2026112800000010")

    assert (before.status, before.paid_at) == (NOTPAY, None)
    assert after.status == SUCCESS
    assert (after.amount, after.discount_amount) == (D("88.00"), D("8.00"))
    assert after.channel_trade_no == trade["transaction_id"]
    assert after.payer == OPENID and "payer" not in after.raw
    assert after.paid_at is not None and after.paid_at.utcoffset() == dt.timedelta(hours=8)
    query = fake.requests[-1]
    assert (query["method"], query["query"]) == ("GET", {"mchid": fake.mch_id})
    assert [sample[1:3] for sample in calls.samples] == [
        ("create", True),
        ("query", True),
        ("query", True),
    ]


def test_query_of_a_trade_wechat_never_created_is_not_paid(fake, gateway):
    notice = gateway().query_payment(transaction_no="PT2026112899999999")
    assert (notice.transaction_no, notice.status) == ("PT2026112899999999", NOTPAY)


def test_an_unsigned_order_not_exist_is_not_taken_for_not_paid(fake, gateway):
    """Anyone on the path could answer "no such order": only WeChat's signed word counts
    (else the query job would close a trade the payer may have paid)."""
    fake.answer_key = new_key()

    with pytest.raises(ChannelError) as raised:
        gateway().query_payment(transaction_no="PT2026112899999998")

    assert raised.value.channel_code == "UNVERIFIED_ERROR"


def test_close_closes_an_unpaid_trade_and_refuses_a_paid_one(fake, gateway):
    channel = gateway()
    channel.create_payment(_request("PT2026112800000011", scene="native"))
    channel.create_payment(_request("PT2026112800000012", scene="native"))
    fake.pay("PT2026112800000012")

    channel.close_payment(transaction_no="PT2026112800000011")

    assert fake.requests[-1]["body"] == {"mchid": fake.mch_id}
    assert channel.query_payment(transaction_no="PT2026112800000011").status == CLOSED
    with pytest.raises(ChannelError) as raised:
        channel.close_payment(transaction_no="PT2026112800000012")
    assert raised.value.channel_code == "ORDERPAID"


# --- notifications ----------------------------------------------------------------------


def _paid(fake, gateway, number="PT2026112800000020", amount="100.00"):
    gateway().create_payment(_request(number, amount))
    fake.pay(number)
    return number


def test_a_valid_notification_is_verified_decrypted_and_mapped(fake, gateway):
    number = _paid(fake, gateway)
    body, headers = fake.notification(fake.transaction(number))

    notice = gateway().parse_notify(headers=headers, body=body)

    assert (notice.transaction_no, notice.status, notice.amount) == (number, SUCCESS, D("100.00"))
    assert notice.channel_trade_no == fake.trades[number]["transaction_id"]
    assert notice.payer == OPENID and notice.paid_at is not None
    assert notice.discount_amount == D("0.00")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("SUCCESS", SUCCESS),
        ("NOTPAY", NOTPAY),
        ("USERPAYING", NOTPAY),
        ("CLOSED", CLOSED),
        ("REVOKED", CLOSED),
        ("PAYERROR", "FAILED"),
    ],
)
def test_trade_states_map_to_the_four_statuses(fake, gateway, state, expected):
    number = _paid(fake, gateway)
    resource = fake.transaction(number) | {"trade_state": state}

    body, headers = fake.notification(resource)
    notice = gateway().parse_notify(headers=headers, body=body)

    assert notice.status == expected
    assert (notice.paid_at is not None) == (expected == SUCCESS)


def test_headers_are_matched_whatever_their_case(fake, gateway):
    number = _paid(fake, gateway)
    body, headers = fake.notification(fake.transaction(number))
    lowered = {name.lower(): value for name, value in headers.items()}

    assert gateway().parse_notify(headers=lowered, body=body).status == SUCCESS


def _refused(gateway, body, headers, error=InvalidSignature):
    with pytest.raises(error) as raised:
        gateway().parse_notify(headers=headers, body=body)
    return raised.value


def test_a_tampered_body_is_refused(fake, gateway):
    body, headers = fake.notification(fake.transaction(_paid(fake, gateway)))
    envelope = json.loads(body)
    envelope["summary"] = "支付成功!"

    error = _refused(gateway, json.dumps(envelope, ensure_ascii=False).encode(), headers)

    assert (error.code, error.status_code) == ("invalid_signature", 401)


def test_a_notification_signed_with_another_key_is_refused(fake, gateway, wechat_keys):
    body, headers = fake.notification(
        fake.transaction(_paid(fake, gateway)), sign_key=wechat_keys.other
    )
    _refused(gateway, body, headers)


def test_an_unknown_certificate_serial_is_refused(fake, gateway):
    body, headers = fake.notification(fake.transaction(_paid(fake, gateway)), serial=new_serial())
    _refused(gateway, body, headers)


def test_missing_signature_headers_are_refused(fake, gateway):
    body, headers = fake.notification(fake.transaction(_paid(fake, gateway)))
    for name in (
        "Wechatpay-Signature",
        "Wechatpay-Serial",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
    ):
        partial = {key: value for key, value in headers.items() if key != name}
        _refused(gateway, body, partial)
    _refused(gateway, body, headers | {"Wechatpay-Signature": "not base64!"})
    _refused(gateway, body, headers | {"Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"})


@pytest.mark.parametrize("offset", [-301, -3600, 301, 86400])
def test_a_timestamp_outside_the_window_is_refused_past_or_future(fake, gateway, offset):
    number = _paid(fake, gateway)
    body, headers = fake.notification(fake.transaction(number), timestamp=int(time.time()) + offset)
    _refused(gateway, body, headers)


def test_a_timestamp_inside_the_window_is_accepted(fake, gateway):
    number = _paid(fake, gateway)
    body, headers = fake.notification(fake.transaction(number), timestamp=int(time.time()) - 250)
    assert gateway().parse_notify(headers=headers, body=body).status == SUCCESS


@pytest.mark.parametrize(
    "change", [{"mchid": "1900000999"}, {"appid": "wx0000000000000000"}, {"mchid": ""}]
)
def test_another_merchant_or_app_is_refused(fake, gateway, change):
    resource = fake.transaction(_paid(fake, gateway)) | change
    body, headers = fake.notification(resource)
    _refused(gateway, body, headers)


def test_a_broken_gcm_tag_is_refused(fake, gateway):
    body, headers = fake.notification(fake.transaction(_paid(fake, gateway)), flip_tag=True)
    _refused(gateway, body, headers)


def test_a_resource_encrypted_with_another_apiv3_key_is_refused(fake, gateway):
    number = _paid(fake, gateway)
    body, headers = fake.notification(fake.transaction(number), apiv3_key="k" * 32)
    _refused(gateway, body, headers)


def test_during_an_apiv3_key_rotation_the_previous_key_still_decrypts(fake, gateway, wechat_keys):
    number = _paid(fake, gateway)
    body, headers = fake.notification(fake.transaction(number))  # sealed with the old key
    rotated = gateway(apiv3_key="n" * 32, apiv3_key_previous=wechat_keys.apiv3_key)

    assert rotated.parse_notify(headers=headers, body=body).status == SUCCESS
    with pytest.raises(InvalidSignature):
        gateway(apiv3_key="n" * 32).parse_notify(headers=headers, body=body)


def test_several_platform_certificates_are_trusted_at_once(fake, gateway, wechat_keys):
    new_platform, serial = new_key(), new_serial()
    both = gateway(
        platform_certs={
            wechat_keys.platform_serial: wechat_keys.platform_cert,
            serial: self_signed_cert(new_platform, serial),
        }
    )
    public_key_only = gateway(platform_certs={serial: public_pem(new_platform)})
    number = _paid(fake, gateway)
    old = fake.notification(fake.transaction(number))
    new = fake.notification(fake.transaction(number), sign_key=new_platform, serial=serial)

    assert both.parse_notify(headers=old[1], body=old[0]).status == SUCCESS
    assert both.parse_notify(headers=new[1], body=new[0]).status == SUCCESS
    assert public_key_only.parse_notify(headers=new[1], body=new[0]).status == SUCCESS
    with pytest.raises(InvalidSignature):
        public_key_only.parse_notify(headers=old[1], body=old[0])


def test_an_expired_platform_certificate_is_not_trusted(fake, gateway):
    old_platform, serial = new_key(), new_serial()
    expired = gateway(platform_certs={serial: self_signed_cert(old_platform, serial, days=-1)})
    number = _paid(fake, gateway)
    body, headers = fake.notification(
        fake.transaction(number), sign_key=old_platform, serial=serial
    )

    with pytest.raises(InvalidSignature):
        expired.parse_notify(headers=headers, body=body)


@pytest.mark.parametrize(
    "stamp", ["１７００００００００", "¹²³", "-1", "1e9", "", "9" * 400, "9" * 13]
)
def test_a_timestamp_that_is_not_ascii_digits_is_refused_not_a_crash(fake, gateway, stamp):
    body, headers = fake.notification(fake.transaction(_paid(fake, gateway)))
    _refused(gateway, body, headers | {"Wechatpay-Timestamp": stamp})


def test_a_discount_is_the_total_less_what_the_payer_paid(fake, gateway):
    number = _paid(fake, gateway)
    resource = fake.transaction(number)
    resource["amount"]["payer_total"] = 9550

    body, headers = fake.notification(resource)
    notice = gateway().parse_notify(headers=headers, body=body)

    assert (notice.amount, notice.discount_amount) == (D("100.00"), D("4.50"))


@pytest.mark.parametrize(
    "change",
    [
        {"amount": {"total": "10000", "payer_total": 10000, "currency": "CNY"}},
        {"amount": {"total": 10000.0, "payer_total": 10000, "currency": "CNY"}},
        {"amount": {"total": 100, "payer_total": 200, "currency": "CNY"}},
        {"amount": {"total": 100, "payer_total": 100, "currency": "USD"}},
        {"trade_state": "PAID"},
        {"out_trade_no": ""},
        {"success_time": "yesterday"},
    ],
)
def test_a_signed_resource_not_in_the_protocol_is_an_invalid_notification(fake, gateway, change):
    resource = fake.transaction(_paid(fake, gateway)) | change
    body, headers = fake.notification(resource)
    error = _refused(gateway, body, headers, InvalidNotification)
    assert error.status_code == 400


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"resource": {"algorithm": "RSA"}}'])
def test_a_signed_body_that_is_not_a_notification_is_refused(fake, gateway, body):
    _refused(gateway, body, fake.signed_headers(body), InvalidNotification)


def test_a_refund_notification_sent_as_a_payment_one_is_refused(fake, gateway):
    body, headers = fake.notification({"mchid": fake.mch_id}, original_type="refund")
    _refused(gateway, body, headers, InvalidNotification)


def test_the_notification_answers_are_in_the_v3_form():
    channel = WechatPayGateway({})
    ok = channel.notify_answer(ok=True)
    failed = channel.notify_answer(ok=False, code="amount_mismatch", message="金额不符")

    assert (ok.status, json.loads(ok.body)) == (200, {"code": "SUCCESS"})
    assert failed.status >= 400
    assert json.loads(failed.body) == {"code": "FAIL", "message": "金额不符"}


# --- refunds ----------------------------------------------------------------------------


def _refund_request(number, refund_no="RF2026112800000001", amount="30.00", total="100.00"):
    return RefundRequest(
        refund_no=refund_no,
        transaction_no=number,
        channel_trade_no="",
        amount=D(amount),
        total_amount=D(total),
        reason="质量问题",
        notify_url="https://mall.example.com/api/v1/payments/notify/wechat/refund/",
    )


def test_a_refund_is_processing_then_succeeds_by_query_and_notification(fake, gateway):
    number = _paid(fake, gateway)
    channel = gateway()

    sent = channel.refund(_refund_request(number))
    again = channel.refund(_refund_request(number))  # idempotent by refund number
    fake.finish_refund("RF2026112800000001")
    queried = channel.query_refund(refund_no="RF2026112800000001", transaction_no=number)
    body, headers = fake.notification(
        fake.refund_resource("RF2026112800000001"),
        original_type="refund",
        event_type="REFUND.SUCCESS",
    )
    notified = channel.parse_refund_notify(headers=headers, body=body)

    request = next(r for r in fake.requests if r["path"] == "/v3/refund/domestic/refunds")
    assert request["body"]["amount"] == {"refund": 3000, "total": 10000, "currency": "CNY"}
    assert request["body"]["out_trade_no"] == number
    assert (sent.status, sent.amount, sent.succeeded_at) == (REFUND_PROCESSING, D("30.00"), None)
    assert again.channel_refund_no == sent.channel_refund_no
    assert len(fake.refunds) == 1
    assert (queried.status, queried.amount) == (REFUND_SUCCESS, D("30.00"))
    assert queried.succeeded_at is not None
    assert (notified.refund_no, notified.status, notified.amount) == (
        "RF2026112800000001",
        REFUND_SUCCESS,
        D("30.00"),
    )
    assert notified.channel_refund_no == sent.channel_refund_no
    assert "user_received_account" not in notified.raw


def test_a_refund_names_the_channel_trade_when_known(fake, gateway):
    number = _paid(fake, gateway)
    request = _refund_request(number)
    request = RefundRequest(
        **{**request.__dict__, "channel_trade_no": fake.trades[number]["transaction_id"]}
    )

    assert gateway().refund(request).status == REFUND_PROCESSING
    sent = fake.requests[-1]["body"]
    assert sent["transaction_id"] == fake.trades[number]["transaction_id"]
    assert "out_trade_no" not in sent


@pytest.mark.parametrize(
    ("status", "expected"), [("ABNORMAL", REFUND_FAILED), ("CLOSED", REFUND_FAILED)]
)
def test_an_abnormal_or_closed_refund_is_failed_with_the_channel_word(
    fake, gateway, status, expected
):
    number = _paid(fake, gateway)
    gateway().refund(_refund_request(number))
    fake.finish_refund("RF2026112800000001", status)
    body, headers = fake.notification(
        fake.refund_resource("RF2026112800000001"),
        original_type="refund",
        event_type=f"REFUND.{status}",
    )

    result = gateway().parse_refund_notify(headers=headers, body=body)

    assert (result.status, result.error, result.succeeded_at) == (expected, status, None)


def test_a_refund_notification_with_another_merchant_or_a_bad_signature_is_refused(
    fake, gateway, wechat_keys
):
    number = _paid(fake, gateway)
    gateway().refund(_refund_request(number))
    resource = fake.refund_resource("RF2026112800000001")
    forged = fake.notification(resource, original_type="refund", sign_key=wechat_keys.other)
    other = fake.notification(resource | {"mchid": "1900000999"}, original_type="refund")

    for body, headers in (forged, other):
        with pytest.raises(InvalidSignature):
            gateway().parse_refund_notify(headers=headers, body=body)


def test_a_refund_beyond_the_payment_is_refused_by_the_channel(fake, gateway, calls):
    number = _paid(fake, gateway)

    with pytest.raises(ChannelError) as raised:
        gateway().refund(_refund_request(number, amount="100.01"))

    assert (raised.value.channel_code, raised.value.retryable) == ("INVALID_REQUEST", False)
    assert calls.samples[-1] == ("wechat", "refund", False, "INVALID_REQUEST")


# --- bills ------------------------------------------------------------------------------


BILL = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态\n"
    "`2026-11-27 10:00:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200001,`PT1,`o1,`JSAPI,`SUCCESS\n"
).encode()


def test_the_trade_bill_is_downloaded_and_its_hash_checked(fake, gateway, calls):
    fake.bills["2026-11-27"] = BILL

    content = gateway().download_bill(bill_date=dt.date(2026, 11, 27))

    assert content == BILL
    assert [r["path"] for r in fake.requests[-2:]] == [
        "/v3/bill/tradebill",
        "/v3/billdownload/file",
    ]
    assert fake.requests[-2]["query"] == {"bill_date": "2026-11-27", "bill_type": "ALL"}
    assert calls.samples == [("wechat", "bill", True, ""), ("wechat", "bill", True, "")]


def test_a_bill_whose_hash_does_not_match_is_refused(fake, gateway):
    fake.bills["2026-11-27"] = BILL
    fake.corrupt_bill = True

    with pytest.raises(ChannelError) as raised:
        gateway().download_bill(bill_date=dt.date(2026, 11, 27))

    assert raised.value.channel_code == "BILL_HASH_MISMATCH"


def test_a_day_without_a_bill_is_the_channels_error(fake, gateway):
    with pytest.raises(ChannelError) as raised:
        gateway().download_bill(bill_date=dt.date(2026, 11, 26))
    assert (raised.value.channel_code, raised.value.retryable) == ("NO_STATEMENT_EXIST", False)


# --- a server that cannot be reached ----------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_that_cannot_be_reached_is_a_channel_error_and_a_failed_sample(gateway, calls):
    down = gateway(base_url=f"http://127.0.0.1:{_closed_port()}", timeout_seconds=2)

    with pytest.raises(ChannelError) as raised:
        down.create_payment(_request("PT2026112800000030", scene="native"))
    with pytest.raises(ChannelError):
        down.query_payment(transaction_no="PT2026112800000030")

    assert raised.value.status_code == 502 and raised.value.retryable is True
    assert [sample[:3] for sample in calls.samples] == [
        ("wechat", "create", False),
        ("wechat", "query", False),
    ]
    assert calls.samples[0][3]  # the transport's error, named
