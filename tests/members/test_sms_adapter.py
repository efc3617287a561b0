"""SMS through Alibaba Cloud SMS: signed SendSms requests, sent only when the provider says OK.

A local fake of dysmsapi (http.server on 127.0.0.1 in a thread) recomputes the
signature from the query string it received, with its own copy of the documented
algorithm, and answers like the provider: ``{"Code": "OK"}`` or an error code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from members import notifications as adapters
from members.services import notification_deliver, notification_enqueue

SECRET = "fake-secret-Key/+="
PHONE = "13912345678"  # the `member` fixture's phone


def provider_signature(query_pairs: list[tuple[str, str]], secret: str) -> str:
    """The provider's side, written from its documentation (independent of the adapter)."""

    def enc(text: str) -> str:
        return (
            urllib.parse.quote_plus(text, encoding="utf-8")
            .replace("+", "%20")
            .replace("*", "%2A")
            .replace("%7E", "~")
        )

    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(query_pairs))
    string_to_sign = "GET&" + enc("/") + "&" + enc(canonical)
    mac = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class FakeDysmsapi(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer: dict = {"Code": "OK", "BizId": "900619746936498440^0"}
        self.requests: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: FakeDysmsapi

    def do_GET(self) -> None:
        pairs = urllib.parse.parse_qsl(
            urllib.parse.urlsplit(self.path).query, keep_blank_values=True
        )
        params = dict(pairs)
        self.server.requests.append(params)
        signature = params.pop("Signature", "")
        unsigned = [(k, v) for k, v in pairs if k != "Signature"]
        if signature != provider_signature(unsigned, SECRET):
            self._reply(400, {"Code": "SignatureDoesNotMatch", "RequestId": "r-sig"})
        else:
            self._reply(200, {"RequestId": "r-1", "Message": "OK", **self.server.answer})

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_provider():
    server = FakeDysmsapi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms_settings(settings, fake_provider):
    adapters.reset_adapters()
    settings.NOTIFICATION_ADAPTERS = {"sms": "members.notifications.AliyunSmsAdapter"}
    settings.SMS_ENDPOINT = fake_provider.url
    settings.SMS_ACCESS_KEY_ID = "LTAI-test"
    settings.SMS_ACCESS_KEY_SECRET = SECRET
    settings.SMS_SIGN_NAME = "阿里云短信测试"
    settings.SMS_TEMPLATES = {"order": "SMS_71390007"}
    settings.SMS_TIMEOUT_SECONDS = 5
    return settings


def _enqueue(member, kind="order", payload=None):
    return notification_enqueue(
        actor=None,
        member=member,
        kind=kind,
        channel="sms",
        payload=payload if payload is not None else {"order_no": "SO2026", "amount": 99},
    )


def test_the_signature_matches_the_providers_documented_example():
    # The worked example of Alibaba Cloud's "HTTP signature" documentation for SendSms.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert adapters.aliyun_canonical_query(params) == (
        "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001"
        "&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5"
        "%8B%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1"
        "&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
        "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
        "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
    )
    assert adapters.aliyun_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_percent_encoding_follows_rfc_3986():
    assert adapters.aliyun_percent_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"


def test_an_accepted_message_is_sent_with_the_providers_id(sms_settings, fake_provider, member):
    notification = _enqueue(member)
    delivered = notification_deliver(actor=None, notification_id=notification.pk)
    assert (delivered.status, delivered.provider_message_id) == ("sent", "900619746936498440^0")
    [request] = fake_provider.requests
    assert request["Action"] == "SendSms"
    assert request["Version"] == "2017-05-25"
    assert request["SignatureMethod"] == "HMAC-SHA1"
    assert request["SignatureVersion"] == "1.0"
    assert request["Format"] == "JSON"
    assert request["AccessKeyId"] == "LTAI-test"
    assert request["SignName"] == "阿里云短信测试"
    assert request["TemplateCode"] == "SMS_71390007"
    assert request["PhoneNumbers"] == PHONE  # decrypted at send time, not in the payload
    assert json.loads(request["TemplateParam"]) == {"order_no": "SO2026", "amount": "99"}
    assert request["Timestamp"].endswith("Z")


def test_each_request_has_a_fresh_nonce(sms_settings, fake_provider, member):
    for _ in range(2):
        notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    nonces = {request["SignatureNonce"] for request in fake_provider.requests}
    assert len(nonces) == 2


def test_a_wrong_secret_is_refused_by_the_provider_and_the_message_fails(
    sms_settings, fake_provider, member
):
    sms_settings.SMS_ACCESS_KEY_SECRET = "not-the-secret"
    delivered = notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    assert delivered.status == "failed"
    assert delivered.last_error == "aliyun: SignatureDoesNotMatch"
    assert delivered.provider_message_id == ""


def test_a_refused_number_fails_at_once_without_the_number_in_the_reason(
    sms_settings, fake_provider, member, caplog
):
    fake_provider.answer = {
        "Code": "isv.MOBILE_NUMBER_ILLEGAL",
        "Message": f"invalid mobile number {PHONE}",
    }
    with caplog.at_level(logging.DEBUG):
        delivered = notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    assert (delivered.status, delivered.attempts) == ("failed", 1)
    assert delivered.last_error == "aliyun: isv.MOBILE_NUMBER_ILLEGAL"
    assert PHONE not in caplog.text
    assert PHONE not in delivered.last_error


def test_throttling_by_the_provider_is_retried_not_marked_sent(sms_settings, fake_provider, member):
    fake_provider.answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL"}
    first = notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error == "aliyun: isv.BUSINESS_LIMIT_CONTROL"
    fake_provider.answer = {"Code": "OK", "BizId": "biz-2"}
    second = notification_deliver(actor=None, notification_id=first.pk, now=first.next_attempt_at)
    assert (second.status, second.attempts, second.provider_message_id) == ("sent", 2, "biz-2")


def test_an_unreachable_provider_leaves_the_message_pending(sms_settings, fake_provider, member):
    fake_provider.shutdown()
    fake_provider.server_close()
    delivered = notification_deliver(actor=None, notification_id=_enqueue(member).pk)
    assert delivered.status == "pending"
    assert delivered.last_error.startswith("sms: provider unreachable")


def test_a_kind_without_a_template_fails_without_calling_the_provider(
    sms_settings, fake_provider, member
):
    delivered = notification_deliver(
        actor=None, notification_id=_enqueue(member, kind="marketing").pk
    )
    assert delivered.status == "failed"
    assert delivered.last_error == "sms: no template for kind 'marketing'"
    assert fake_provider.requests == []
