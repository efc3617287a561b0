"""A local fake WeChat Pay API v3 server for the tests (not a mock of our code).

It speaks the v3 protocol: every request must carry our ``WECHATPAY2-SHA256-RSA2048``
Authorization, verified with the merchant's public key (401 ``SIGN_ERROR`` otherwise);
every answer is signed with a platform key whose self-signed certificate the tests
configure as trusted. Trades and refunds are kept in memory; notifications are built
(resource encrypted with the APIv3 key, envelope signed) and can be posted to our
endpoints through the Django test client. Keys and certificates are generated here
(RSA 2048, random hex serials): nothing real is used.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

CHINA = ZoneInfo("Asia/Shanghai")
MCH_ID = "1900000109"
APPID = "wxd678efh567hg6787"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def self_signed_cert(key: rsa.RSAPrivateKey, serial_hex: str, *, days: int = 365) -> str:
    """A self-signed x509 certificate of ``key`` whose serial is ``serial_hex``, valid
    ``days`` from now (negative: expired)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (test)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Platform"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int(serial_hex, 16))
        .not_valid_before(now - dt.timedelta(days=max(1, -days + 1)))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def new_serial() -> str:
    """40 hex digits like WeChat's serials (fits an x509 serial: at most 159 bits)."""
    return f"{secrets.randbelow(7) + 1:X}{secrets.randbits(156):039X}"


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key, signature: str, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class Keys:
    """Generated once per test session: the merchant's and the platform's keys."""

    merchant: rsa.RSAPrivateKey
    merchant_serial: str
    platform: rsa.RSAPrivateKey
    platform_serial: str
    platform_cert: str
    other: rsa.RSAPrivateKey  # a key nobody trusts
    apiv3_key: str = field(default_factory=lambda: secrets.token_hex(16))

    @classmethod
    def generate(cls) -> Keys:
        platform, serial = new_key(), new_serial()
        return cls(
            merchant=new_key(),
            merchant_serial=new_serial(),
            platform=platform,
            platform_serial=serial,
            platform_cert=self_signed_cert(platform, serial),
            other=new_key(),
        )


def _now_rfc3339() -> str:
    return dt.datetime.now(CHINA).replace(microsecond=0).isoformat()


class FakeWechatPay:
    """The fake server. ``start()`` listens on 127.0.0.1 (a free port); ``stop()``."""

    def __init__(self, keys: Keys, *, mch_id: str = MCH_ID, appid: str = APPID):
        self.keys = keys
        self.mch_id = mch_id
        self.appid = appid
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.bills: dict[str, bytes] = {}
        self.corrupt_bill = False  # serve other bytes than the hash says
        self.refund_status = "PROCESSING"  # what a new refund answers
        self.requests: list[dict] = []  # every verified request (method, path, body)
        self.rejected: list[str] = []  # why requests were refused (signature checks)
        self.answer_key: rsa.RSAPrivateKey | None = None  # sign answers with another key
        self._server: ThreadingHTTPServer | None = None

    # --- life ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWechatPay:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def config(self, **overrides) -> dict:
        """Our ``PAYMENT_GATEWAYS["wechat"]`` entry for this server."""
        config = {
            "mch_id": self.mch_id,
            "appid": self.appid,
            "mch_serial_no": self.keys.merchant_serial,
            "private_key": private_pem(self.keys.merchant),
            "apiv3_key": self.keys.apiv3_key,
            "platform_certs": {self.keys.platform_serial: self.keys.platform_cert},
            "base_url": self.base_url,
            "timestamp_window_seconds": 300,
            "timeout_seconds": 5,
        }
        config.update(overrides)
        return config

    # --- the channel's side of a payment ------------------------------------------------

    def pay(self, out_trade_no: str, *, payer_total: int | None = None) -> dict:
        """The payer pays the trade (as WeChat records it)."""
        trade = self.trades[out_trade_no]
        trade["trade_state"] = "SUCCESS"
        trade["trade_state_desc"] = "支付成功"
        trade["transaction_id"] = "42000" + secrets.token_hex(12)[:23]
        trade["success_time"] = _now_rfc3339()
        total = trade["amount"]["total"]
        trade["amount"]["payer_total"] = total if payer_total is None else payer_total
        trade["amount"]["payer_currency"] = "CNY"
        trade["bank_type"] = "OTHERS"
        return trade

    def transaction(self, out_trade_no: str) -> dict:
        """The trade as WeChat reports it (query answer and notification resource)."""
        return json.loads(json.dumps(self.trades[out_trade_no]))

    def refund_resource(self, out_refund_no: str) -> dict:
        refund = self.refunds[out_refund_no]
        return {
            "mchid": self.mch_id,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": refund["refund_id"],
            "refund_status": refund["status"],
            "success_time": refund.get("success_time"),
            "user_received_account": "招商银行信用卡0403",
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
            },
        }

    def finish_refund(self, out_refund_no: str, status: str = "SUCCESS") -> dict:
        refund = self.refunds[out_refund_no]
        refund["status"] = status
        if status == "SUCCESS":
            refund["success_time"] = _now_rfc3339()
        return refund

    # --- notifications ------------------------------------------------------------------

    def notification(
        self,
        resource: dict,
        *,
        original_type: str = "transaction",
        event_type: str = "TRANSACTION.SUCCESS",
        apiv3_key: str | None = None,
        sign_key: rsa.RSAPrivateKey | None = None,
        serial: str | None = None,
        timestamp: int | None = None,
        flip_tag: bool = False,
    ) -> tuple[bytes, dict]:
        """A notification as WeChat sends it: (raw body, signature headers)."""
        nonce = secrets.token_hex(16)
        associated = original_type
        plain = json.dumps(resource, ensure_ascii=False).encode()
        key = (apiv3_key or self.keys.apiv3_key).encode()
        sealed = bytearray(AESGCM(key).encrypt(nonce[:12].encode(), plain, associated.encode()))
        if flip_tag:
            sealed[-1] ^= 0x01
        envelope = {
            "id": secrets.token_hex(18),
            "create_time": _now_rfc3339(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功" if original_type == "transaction" else "退款状态变更",
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(bytes(sealed)).decode(),
                "associated_data": associated,
                "nonce": nonce[:12],
            },
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        return body, self.signed_headers(
            body, sign_key=sign_key, serial=serial, timestamp=timestamp
        )

    def signed_headers(
        self,
        body: bytes,
        *,
        sign_key: rsa.RSAPrivateKey | None = None,
        serial: str | None = None,
        timestamp: int | None = None,
    ) -> dict:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16)
        signature = rsa_sign(
            sign_key or self.keys.platform, f"{stamp}\n{nonce}\n".encode() + body + b"\n"
        )
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial or self.keys.platform_serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    @staticmethod
    def post(client, path: str, body: bytes, headers: dict):
        """Post a notification to our endpoint through the Django test client."""
        return client.post(path, data=body, content_type="application/json", headers=headers)

    def emit(self, client, out_trade_no: str, **options):
        """Send the trade's payment notification to ``/api/v1/payments/notify/wechat/``."""
        body, headers = self.notification(self.transaction(out_trade_no), **options)
        return self.post(client, "/api/v1/payments/notify/wechat/", body, headers)

    # --- the server's work --------------------------------------------------------------

    def _authorized(self, method: str, target: str, body: str, authorization: str) -> bool:
        schema, _, rest = authorization.partition(" ")
        if schema != "WECHATPAY2-SHA256-RSA2048":
            self.rejected.append("schema")
            return False
        fields = {}
        for part in rest.split(","):
            name, _, value = part.partition("=")
            fields[name.strip()] = value.strip().strip('"')
        if fields.get("mchid") != self.mch_id:
            self.rejected.append("mchid")
            return False
        if fields.get("serial_no") != self.keys.merchant_serial:
            self.rejected.append("serial_no")
            return False
        stamp = fields.get("timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            self.rejected.append("timestamp")
            return False
        message = f"{method}\n{target}\n{stamp}\n{fields.get('nonce_str', '')}\n{body}\n"
        if not rsa_verify(
            self.keys.merchant.public_key(), fields.get("signature", ""), message.encode()
        ):
            self.rejected.append("signature")
            return False
        return True

    def handle(self, method: str, target: str, body: str) -> tuple[int, Any]:
        """(status, JSON answer | bytes | None) of one verified request."""
        parsed = urllib.parse.urlsplit(target)
        path, query = parsed.path, dict(urllib.parse.parse_qsl(parsed.query))
        data = json.loads(body) if body else {}
        self.requests.append({"method": method, "path": path, "query": query, "body": data})
        scene = path.rsplit("/", 1)[-1]
        if method == "POST" and path in {
            f"/v3/pay/transactions/{s}" for s in ("jsapi", "app", "h5", "native")
        }:
            return self._create(scene, data)
        prefix = "/v3/pay/transactions/out-trade-no/"
        if path.startswith(prefix):
            rest = urllib.parse.unquote(path[len(prefix) :])
            if method == "POST" and rest.endswith("/close"):
                return self._close(rest[: -len("/close")], data)
            if method == "GET":
                if query.get("mchid") != self.mch_id:
                    return 400, {"code": "PARAM_ERROR", "message": "mchid"}
                if rest not in self.trades:
                    return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
                return 200, self.transaction(rest)
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._refund(data)
        if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
            number = urllib.parse.unquote(path.rsplit("/", 1)[-1])
            if number not in self.refunds:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, self._refund_answer(number)
        if method == "GET" and path == "/v3/bill/tradebill":
            day = query.get("bill_date", "")
            if query.get("bill_type") != "ALL" or day not in self.bills:
                return 400, {"code": "NO_STATEMENT_EXIST", "message": "账单不存在"}
            return 200, {
                "hash_type": "SHA1",
                "hash_value": hashlib.sha1(self.bills[day], usedforsecurity=False).hexdigest(),
                "download_url": f"{self.base_url}/v3/billdownload/file?token={day}",
            }
        if method == "GET" and path == "/v3/billdownload/file":
            content = self.bills.get(query.get("token", ""))
            if content is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "no file"}
            return 200, (content + b"tampered" if self.corrupt_bill else content)
        return 404, {"code": "NOT_FOUND", "message": "no such API"}

    def _create(self, scene: str, data: dict) -> tuple[int, Any]:
        total = (data.get("amount") or {}).get("total")
        if (
            data.get("mchid") != self.mch_id
            or not data.get("appid")
            or not isinstance(total, int)
            or isinstance(total, bool)
            or total <= 0
            or not data.get("out_trade_no")
            or not str(data.get("notify_url", "")).startswith(("https://", "http://"))
        ):
            return 400, {"code": "PARAM_ERROR", "message": "参数错误"}
        if scene == "jsapi" and not (data.get("payer") or {}).get("openid"):
            return 400, {"code": "PARAM_ERROR", "message": "缺少参数openid"}
        if scene == "h5" and not (data.get("scene_info") or {}).get("payer_client_ip"):
            return 400, {"code": "PARAM_ERROR", "message": "缺少参数payer_client_ip"}
        number = data["out_trade_no"]
        trade = self.trades.get(number)
        if trade is not None and trade["trade_state"] != "NOTPAY":
            return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
        if trade is None:
            trade = self.trades[number] = {
                "appid": data["appid"],
                "mchid": self.mch_id,
                "out_trade_no": number,
                "transaction_id": "",
                "trade_type": {"jsapi": "JSAPI", "app": "APP", "h5": "MWEB", "native": "NATIVE"}[
                    scene
                ],
                "trade_state": "NOTPAY",
                "trade_state_desc": "未支付",
                "payer": {
                    "openid": (data.get("payer") or {}).get(
                        "openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
                    )
                },
                "amount": {"total": total, "currency": "CNY"},
                "prepay_id": "wx" + secrets.token_hex(14),
                "description": data.get("description", ""),
                "time_expire": data.get("time_expire"),
            }
        if scene == "h5":
            return 200, {
                "h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={trade['prepay_id']}"
            }
        if scene == "native":
            return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={trade['prepay_id'][-7:]}"}
        return 200, {"prepay_id": trade["prepay_id"]}

    def _close(self, number: str, data: dict) -> tuple[int, Any]:
        if data.get("mchid") != self.mch_id:
            return 400, {"code": "PARAM_ERROR", "message": "mchid"}
        trade = self.trades.get(number)
        if trade is None:
            return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
        if trade["trade_state"] == "SUCCESS":
            return 400, {"code": "ORDERPAID", "message": "订单已支付"}
        trade["trade_state"] = "CLOSED"
        trade["trade_state_desc"] = "已关闭"
        return 204, None

    def _refund(self, data: dict) -> tuple[int, Any]:
        number = data.get("out_refund_no")
        if number in self.refunds:
            return 200, self._refund_answer(number)
        trade = next(
            (
                t
                for t in self.trades.values()
                if (data.get("transaction_id") and t["transaction_id"] == data["transaction_id"])
                or t["out_trade_no"] == data.get("out_trade_no")
            ),
            None,
        )
        amount = data.get("amount") or {}
        if trade is None or trade["trade_state"] not in ("SUCCESS", "REFUND"):
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
        refunded = sum(
            r["amount"]["refund"]
            for r in self.refunds.values()
            if r["out_trade_no"] == trade["out_trade_no"]
        )
        if (
            not number
            or amount.get("currency") != "CNY"
            or amount.get("total") != trade["amount"]["total"]
            or not isinstance(amount.get("refund"), int)
            or amount["refund"] <= 0
            or refunded + amount["refund"] > trade["amount"]["total"]
        ):
            return 400, {"code": "INVALID_REQUEST", "message": "退款金额错误"}
        self.refunds[number] = {
            "out_trade_no": trade["out_trade_no"],
            "transaction_id": trade["transaction_id"],
            "refund_id": "50300" + secrets.token_hex(12)[:24],
            "status": self.refund_status,
            "amount": {"refund": amount["refund"], "total": amount["total"]},
            "notify_url": data.get("notify_url"),
        }
        if self.refund_status == "SUCCESS":
            self.refunds[number]["success_time"] = _now_rfc3339()
        trade["trade_state"] = "REFUND"
        return 200, self._refund_answer(number)

    def _refund_answer(self, number: str) -> dict:
        refund = self.refunds[number]
        answer = {
            "refund_id": refund["refund_id"],
            "out_refund_no": number,
            "transaction_id": refund["transaction_id"],
            "out_trade_no": refund["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "招商银行信用卡0403",
            "create_time": _now_rfc3339(),
            "status": refund["status"],
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
                "currency": "CNY",
            },
        }
        if refund.get("success_time"):
            answer["success_time"] = refund["success_time"]
        return answer


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeWechatPay
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        return

    def _serve(self, method: str) -> None:
        fake = self.server_fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if not fake._authorized(method, self.path, body, self.headers.get("Authorization", "")):
            status, answer = 401, {"code": "SIGN_ERROR", "message": "签名错误"}
        else:
            status, answer = fake.handle(method, self.path, body)
        if isinstance(answer, bytes):  # a bill file: not signed
            raw, headers = answer, {"Content-Type": "application/octet-stream"}
        else:
            raw = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
            headers = fake.signed_headers(raw, sign_key=fake.answer_key)
            headers["Content-Type"] = "application/json"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Request-ID", secrets.token_hex(16))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")


# --- fixtures (imported by the test modules) ----------------------------------------------


@pytest.fixture(scope="session")
def wechat_keys() -> Keys:
    """The merchant's and the platform's keys, generated once per session."""
    return Keys.generate()


@pytest.fixture
def fake(wechat_keys):
    """A running fake WeChat Pay server with no trades yet."""
    server = FakeWechatPay(wechat_keys).start()
    yield server
    server.stop()
