"""WeChat Pay API v3 (微信支付 v3, 直连商户): JSAPI, mini-program, app, H5 and Native.

Every request to WeChat is signed with the merchant's API certificate key::

    Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
                   timestamp="…",serial_no="<merchant certificate serial>"

over ``METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n`` (RSA-SHA256, PKCS#1 v1.5, base64).
Every answer and every notification is verified with a WeChat Pay platform certificate
(or WeChat Pay public key) we trust: ``Wechatpay-Signature`` over
``timestamp\\nnonce\\nbody\\n``, ``Wechatpay-Serial`` one of the configured serials (several
at once while WeChat rotates its certificates), ``Wechatpay-Timestamp`` within
``timestamp_window_seconds`` of now. A notification's ``resource`` is decrypted with the
APIv3 key (AEAD_AES_256_GCM; the previous key too while it is being rotated) and must
name our ``mchid`` (and, for payments, one of our app ids).

Amounts travel in fen (integers), converted exactly from and to our Decimal yuan.
Configuration keys: docs/PAYMENTS_MERCHANT_SETUP.md (WeChat Pay). Only the standard
library's ``urllib`` and ``cryptography`` are used; every server call goes through
:meth:`Gateway.call` (channel health).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ..exceptions import InvalidPaymentInput
from .base import (
    CLOSED,
    FAILED,
    NOTPAY,
    REFUND_FAILED,
    REFUND_PROCESSING,
    REFUND_SUCCESS,
    SUCCESS,
    ChannelError,
    ChannelUnavailable,
    Gateway,
    InvalidNotification,
    InvalidSignature,
    Notice,
    NotifyAnswer,
    PaymentRequest,
    RefundRequest,
    RefundResult,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
CHINA = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
MAX_ANSWER_BYTES = 1024 * 1024  # an API answer; a bill may be larger
MAX_BILL_BYTES = 256 * 1024 * 1024

TRADE_STATES = {
    "SUCCESS": SUCCESS,
    "NOTPAY": NOTPAY,
    "USERPAYING": NOTPAY,
    "CLOSED": CLOSED,
    "REVOKED": CLOSED,
    "PAYERROR": FAILED,
    # Paid, then refunded at WeChat (e.g. from the merchant platform) before we heard of
    # it: never mark such a trade paid (the goods would ship for money already returned);
    # the query job closes it here and reconciliation shows the pair.
    "REFUND": CLOSED,
}
REFUND_STATES = {
    "SUCCESS": REFUND_SUCCESS,
    "PROCESSING": REFUND_PROCESSING,
    "ABNORMAL": REFUND_FAILED,
    "CLOSED": REFUND_FAILED,
}
SCENE_PATHS = {
    "jsapi": "/v3/pay/transactions/jsapi",
    "mini_program": "/v3/pay/transactions/jsapi",
    "app": "/v3/pay/transactions/app",
    "h5": "/v3/pay/transactions/h5",
    "native": "/v3/pay/transactions/native",
}
# WeChat error codes worth asking again later (the rest need a person or a fix).
RETRYABLE_CODES = frozenset(
    {
        "SYSTEM_ERROR",
        "SYSTEMERROR",
        "BANKERROR",
        "FREQUENCY_LIMITED",
        "RATELIMIT_EXCEEDED",
        "NOT_ENOUGH",
        "STATEMENT_CREATING",
    }
)


def _nonce() -> str:
    return secrets.token_hex(16).upper()


def to_fen(amount: Decimal) -> int:
    """Decimal yuan → integer fen, exactly (an amount with more than two decimals or
    not finite is refused rather than rounded)."""
    value = Decimal(amount)
    if not value.is_finite() or value != value.quantize(CENT) or value < 0:
        raise ValueError(f"not an amount in yuan and fen: {amount!r}")
    return int(value.scaleb(2))


def from_fen(value: Any) -> Decimal:
    """Integer fen (as WeChat sends it) → Decimal yuan with two places."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not an amount in fen: {value!r}")
    return Decimal(value).scaleb(-2).quantize(CENT)


def _cut(text: str, size: int) -> str:
    """``text`` cut to at most ``size`` UTF-8 bytes, never inside a character."""
    return text.encode()[:size].decode("utf-8", errors="ignore")


def _pem(value: str) -> bytes:
    """PEM text, or the path of a file holding it."""
    text = str(value or "").strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return Path(text).read_bytes()


def _public_key(pem: bytes) -> rsa.RSAPublicKey:
    """A platform certificate (``BEGIN CERTIFICATE``) or WeChat Pay public key."""
    if b"BEGIN CERTIFICATE" in pem:
        cert = x509.load_pem_x509_certificate(pem)
        if cert.not_valid_after_utc < timezone.now():
            raise ValueError("the certificate has expired")
        key = cert.public_key()
    else:
        key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return str(value).strip() if value is not None else ""


def _parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time with its offset (``2026-11-28T10:34:56+08:00``), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    return moment


class _Malformed(Exception):
    """A signed message that is not what the protocol says (field → problem)."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__(problems)
        self.problems = problems


class WechatPayGateway(Gateway):
    channel = "wechat"
    scenes = ("jsapi", "mini_program", "app", "h5", "native")

    # --- configuration ------------------------------------------------------------------

    @property
    def mch_id(self) -> str:
        return str(self.config.get("mch_id") or "")

    @property
    def appid(self) -> str:
        return str(self.config.get("appid") or "")

    def _appid_for(self, scene: str) -> str:
        """The app id of a scene: a mini-program or a mobile app may have its own."""
        if scene == "mini_program" and self.config.get("mini_program_appid"):
            return str(self.config["mini_program_appid"])
        if scene == "app" and self.config.get("app_appid"):
            return str(self.config["app_appid"])
        return self.appid

    @property
    def _appids(self) -> set[str]:
        keys = ("appid", "mini_program_appid", "app_appid")
        return {str(self.config[key]) for key in keys if self.config.get(key)}

    @property
    def base_url(self) -> str:
        return str(self.config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")

    @property
    def window_seconds(self) -> int:
        return int(self.config.get("timestamp_window_seconds") or 300)

    @property
    def timeout_seconds(self) -> float:
        return float(self.config.get("timeout_seconds") or 5)

    @cached_property
    def _private_key(self) -> rsa.RSAPrivateKey:
        try:
            if self.config.get("private_key"):
                pem = _pem(self.config["private_key"])
            else:
                pem = Path(str(self.config.get("private_key_path") or "")).read_bytes()
            key = serialization.load_pem_private_key(pem, password=None)
        except (OSError, ValueError, TypeError) as error:
            raise ChannelUnavailable(_("The WeChat Pay merchant key is not configured.")) from error
        if not isinstance(key, rsa.RSAPrivateKey) or not self.mch_id:
            raise ChannelUnavailable(_("The WeChat Pay merchant key is not configured."))
        return key

    @cached_property
    def _platform_keys(self) -> dict[str, rsa.RSAPublicKey]:
        """The platform certificates (public keys) we trust, by serial. A serial whose
        PEM cannot be read is left out (and so is every message signed with it)."""
        keys = {}
        for serial, value in dict(self.config.get("platform_certs") or {}).items():
            try:
                keys[str(serial).strip().upper()] = _public_key(_pem(value))
            except (OSError, ValueError, TypeError) as error:
                logger.warning("WeChat Pay platform certificate %s not used: %s", serial, error)
                continue
        return keys

    @property
    def _apiv3_keys(self) -> list[bytes]:
        """The APIv3 key, then the previous one while a rotation is under way."""
        keys = []
        for name in ("apiv3_key", "apiv3_key_previous"):
            value = str(self.config.get(name) or "").encode()
            if len(value) == 32:
                keys.append(value)
        return keys

    # --- signing and verifying ----------------------------------------------------------

    def _sign(self, message: str) -> str:
        signature = self._private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def _authorization(self, method: str, url: str, body: str) -> str:
        timestamp, nonce = str(int(time.time())), _nonce()
        signature = self._sign(f"{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n")
        return (
            f'{AUTH_SCHEMA} mchid="{self.mch_id}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{timestamp}",'
            f'serial_no="{self.config.get("mch_serial_no") or ""}"'
        )

    def _verified(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True when ``body`` is signed by a platform certificate we trust, recently."""
        serial = _header(headers, "Wechatpay-Serial").upper()
        timestamp = _header(headers, "Wechatpay-Timestamp")
        nonce = _header(headers, "Wechatpay-Nonce")
        signature = _header(headers, "Wechatpay-Signature")
        kind = _header(headers, "Wechatpay-Signature-Type")
        key = self._platform_keys.get(serial) if serial else None
        if key is None or not nonce or not signature:
            return False
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            return False
        if kind and kind != AUTH_SCHEMA:
            return False
        if abs(int(time.time()) - int(timestamp)) > self.window_seconds:
            return False
        try:
            raw = base64.b64decode(signature, validate=True)
            message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
            key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
        except (binascii.Error, ValueError, CryptoInvalidSignature):
            return False
        return True

    def _decrypt(self, resource: Any) -> dict:
        """The ``resource`` of a notification, decrypted and parsed. A wrong key or a
        tampered ciphertext (GCM tag) is ``InvalidSignature``."""
        if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise InvalidNotification(_("The notification has no encrypted resource."))
        parts = [resource.get(name) for name in ("ciphertext", "nonce", "associated_data")]
        parts[2] = parts[2] if parts[2] is not None else ""
        if not all(isinstance(part, str) for part in parts) or not parts[0] or not parts[1]:
            raise InvalidNotification(_("The notification has no encrypted resource."))
        ciphertext, nonce, associated = parts
        try:
            sealed = base64.b64decode(ciphertext, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidNotification(_("The notification has no encrypted resource.")) from None
        for key in self._apiv3_keys:
            try:
                plain = AESGCM(key).decrypt(nonce.encode(), sealed, associated.encode())
            except (InvalidTag, ValueError):
                continue
            try:
                data = json.loads(plain.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise InvalidNotification(_("The resource is not JSON.")) from None
            if not isinstance(data, dict):
                raise InvalidNotification(_("The resource is not a JSON object."))
            return data
        raise InvalidSignature()

    def _notification(self, headers: Mapping[str, str], body: bytes, original_type: str) -> dict:
        if not self._verified(headers, body):
            raise InvalidSignature()
        try:
            envelope = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidNotification(_("The body is not JSON.")) from None
        if not isinstance(envelope, dict):
            raise InvalidNotification(_("The body is not a JSON object."))
        resource = envelope.get("resource")
        data = self._decrypt(resource)
        if resource.get("original_type") not in (None, "", original_type):
            raise InvalidNotification(_("This notification is of another kind."))
        if str(data.get("mchid") or "") != self.mch_id:
            raise InvalidSignature()  # another merchant: answered like any bad signature
        return data

    # --- transport ----------------------------------------------------------------------

    def _request(
        self, method: str, path: str, payload: dict | None = None, *, signed_answer: bool = True
    ) -> tuple[int, bytes]:
        """One signed request; the verified answer's (status, body). A refusal (4xx/5xx)
        raises ``ChannelError`` with WeChat's error code."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload else ""
        url = path if path.startswith(("https://", "http://")) else f"{self.base_url}{path}"
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("https", "http"):
            raise ChannelUnavailable(_("The WeChat Pay base URL is not an http(s) URL."))
        signed_url = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=body.encode() if method != "GET" else None,
            method=method,
            headers={
                "Authorization": self._authorization(method, signed_url, body),
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": "mall-payments/1.0",
            },
        )
        limit = MAX_ANSWER_BYTES if signed_answer else MAX_BILL_BYTES
        try:
            with urllib.request.urlopen(  # noqa: S310 - scheme checked above
                request, timeout=self.timeout_seconds
            ) as answer:
                status, headers, raw = answer.status, answer.headers, answer.read(limit + 1)
        except urllib.error.HTTPError as error:
            raw = error.read(MAX_ANSWER_BYTES) if error.fp is not None else b""
            code, message = "", ""
            try:
                detail = json.loads(raw.decode("utf-8"))
                code = str(detail.get("code") or "")[:40]
                message = str(detail.get("message") or "")[:200]
            except (UnicodeDecodeError, ValueError, AttributeError):
                pass
            if code and not self._verified(error.headers or {}, raw):
                # WeChat signs its error answers too: an unsigned "ORDER_NOT_EXIST" (or
                # any code) may come from anyone on the path — never act on it.
                logger.warning("WeChat Pay error answer not verified: %s", code)
                code = "UNVERIFIED_ERROR"
            # WeChat's own words go to the log, not to the customer.
            logger.warning("WeChat Pay refused %s %s: %s %s", method, parsed.path, code, message)
            raise ChannelError(
                channel_code=code or f"HTTP_{error.code}",
                retryable=error.code >= 500 or error.code == 429 or code in RETRYABLE_CODES,
            ) from None
        if len(raw) > limit:
            raise ChannelError(channel_code="ANSWER_TOO_LARGE")
        if signed_answer and not self._verified(headers, raw):
            raise ChannelError(channel_code="ANSWER_NOT_VERIFIED")
        return status, raw

    def _json(self, method: str, path: str, payload: dict | None = None) -> dict:
        _status, raw = self._request(method, path, payload)
        try:
            data = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError):
            raise ChannelError(channel_code="ANSWER_NOT_JSON") from None
        if not isinstance(data, dict):
            raise ChannelError(channel_code="ANSWER_NOT_JSON")
        return data

    # --- paying -------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> dict[str, Any]:
        scene = request.scene
        if scene not in SCENE_PATHS:
            raise InvalidPaymentInput(
                fields={"scene": [_("This channel does not offer this scene.")]}
            )
        appid = self._appid_for(scene)
        payload: dict[str, Any] = {
            "appid": appid,
            "mchid": self.mch_id,
            "description": _cut(str(request.description or request.transaction_no), 127),
            "out_trade_no": request.transaction_no,
            "notify_url": request.notify_url,
            "amount": {"total": to_fen(request.amount), "currency": "CNY"},
        }
        if not request.notify_url.startswith(("https://", "http://")):
            logger.error("WeChat Pay needs PAYMENT_NOTIFY_BASE_URL (an https URL) to be set")
            raise ChannelUnavailable(_("WeChat Pay is not set up completely on this installation."))
        if request.expires_at is not None:
            payload["time_expire"] = request.expires_at.astimezone(CHINA).isoformat(
                timespec="seconds"
            )
        if scene in ("jsapi", "mini_program"):
            if not request.payer_id:
                raise InvalidPaymentInput(
                    _("WeChat Pay in this scene needs the payer's openid."),
                    fields={"payer_id": [_("Give the payer's openid for this scene.")]},
                )
            payload["payer"] = {"openid": request.payer_id}
        if scene == "h5":
            if not request.client_ip:  # WeChat checks it against the payer's own address
                raise InvalidPaymentInput(_("WeChat H5 payment needs the payer's IP address."))
            payload["scene_info"] = {
                "payer_client_ip": request.client_ip,
                "h5_info": {"type": "Wap"},
            }
        elif request.client_ip:
            payload["scene_info"] = {"payer_client_ip": request.client_ip}
        data = self.call("create", lambda: self._json("POST", SCENE_PATHS[scene], payload))
        if scene == "h5":
            return {"h5_url": self._answer_field(data, "h5_url")}
        if scene == "native":
            return {"code_url": self._answer_field(data, "code_url")}
        prepay_id = self._answer_field(data, "prepay_id")
        timestamp, nonce = str(int(time.time())), _nonce()
        if scene == "app":
            return {
                "appid": appid,
                "partnerid": self.mch_id,
                "prepayid": prepay_id,
                "package": "Sign=WXPay",
                "noncestr": nonce,
                "timestamp": timestamp,
                "sign": self._sign(f"{appid}\n{timestamp}\n{nonce}\n{prepay_id}\n"),
            }
        package = f"prepay_id={prepay_id}"
        return {
            "appId": appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": self._sign(f"{appid}\n{timestamp}\n{nonce}\n{package}\n"),
        }

    @staticmethod
    def _answer_field(data: dict, name: str) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise ChannelError(channel_code="ANSWER_INCOMPLETE")
        return value

    def _notice(self, data: dict, *, payment_notify: bool) -> Notice:
        """A transaction (notification resource or query answer) as a ``Notice``."""
        problems: dict[str, list[str]] = {}
        number = data.get("out_trade_no")
        if not isinstance(number, str) or not number or len(number) > 64:
            problems["out_trade_no"] = [_("This field is required.")]
        state = TRADE_STATES.get(str(data.get("trade_state") or ""))
        if state is None:
            problems["trade_state"] = [_("Not a WeChat Pay trade state.")]
        if payment_notify and str(data.get("appid") or "") not in self._appids:
            raise InvalidSignature()  # another app: answered like any bad signature
        amount = discount = None
        money = data.get("amount") if isinstance(data.get("amount"), dict) else {}
        if money.get("total") is not None or state == SUCCESS:
            try:
                amount = from_fen(money.get("total"))
                payer_total = money.get("payer_total", money.get("total"))
                discount = amount - from_fen(payer_total)
                if discount < 0:
                    raise ValueError("payer paid more than the total")
            except ValueError:
                problems["amount"] = [_("Give the amount in fen as an integer.")]
        if money.get("currency") not in (None, "CNY"):
            problems["amount"] = [_("Only CNY is accepted.")]
        paid_at = _parse_time(data.get("success_time"))
        if data.get("success_time") and paid_at is None:
            problems["success_time"] = [_("Give a time with time zone.")]
        if problems:
            raise _Malformed(problems)
        payer = data.get("payer") if isinstance(data.get("payer"), dict) else {}
        return Notice(
            transaction_no=number,
            status=state,
            amount=amount,
            channel_trade_no=str(data.get("transaction_id") or "")[:64],
            paid_at=paid_at if state == SUCCESS else None,
            payer=str(payer.get("openid") or "")[:64],
            discount_amount=discount if discount is not None else Decimal("0.00"),
            raw={key: value for key, value in data.items() if key != "payer"},
        )

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes) -> Notice:
        data = self._notification(headers, body, "transaction")
        try:
            return self._notice(data, payment_notify=True)
        except _Malformed as error:
            raise InvalidNotification(fields=error.problems) from None

    def notify_answer(
        self, *, ok: bool, code: str = "", message: str = "", fields: dict | None = None
    ) -> NotifyAnswer:
        if ok:
            return NotifyAnswer(200, json.dumps({"code": "SUCCESS"}).encode())
        body = {"code": "FAIL", "message": message or code or "FAIL"}
        return NotifyAnswer(400, json.dumps(body, ensure_ascii=False).encode())

    def query_payment(self, *, transaction_no: str) -> Notice:
        path = "/v3/pay/transactions/out-trade-no/{}?mchid={}".format(
            urllib.parse.quote(transaction_no, safe=""), urllib.parse.quote(self.mch_id, safe="")
        )

        def ask() -> dict | None:
            try:
                return self._json("GET", path)
            except ChannelError as error:
                if error.channel_code == "ORDER_NOT_EXIST":
                    return None  # never created there: it cannot have been paid
                raise

        data = self.call("query", ask)
        if data is None:
            return Notice(transaction_no=transaction_no, status=NOTPAY)
        if (
            data.get("out_trade_no") != transaction_no
            or str(data.get("mchid") or "") != self.mch_id
        ):
            raise ChannelError(channel_code="ANSWER_MISMATCH")
        try:
            return self._notice(data, payment_notify=False)
        except _Malformed:
            raise ChannelError(channel_code="ANSWER_INCOMPLETE") from None

    def close_payment(self, *, transaction_no: str) -> None:
        path = "/v3/pay/transactions/out-trade-no/{}/close".format(
            urllib.parse.quote(transaction_no, safe="")
        )
        self.call("close", lambda: self._request("POST", path, {"mchid": self.mch_id}))

    # --- refunding ----------------------------------------------------------------------

    def refund(self, request: RefundRequest) -> RefundResult:
        payload: dict[str, Any] = {
            "out_refund_no": request.refund_no,
            "reason": str(request.reason or "")[:80],
            "notify_url": request.notify_url,
            "amount": {
                "refund": to_fen(request.amount),
                "total": to_fen(request.total_amount),
                "currency": "CNY",
            },
        }
        if request.channel_trade_no:
            payload["transaction_id"] = request.channel_trade_no
        else:
            payload["out_trade_no"] = request.transaction_no
        if not payload["reason"]:
            del payload["reason"]
        data = self.call(
            "refund", lambda: self._json("POST", "/v3/refund/domestic/refunds", payload)
        )
        return self._refund_result(data, request.refund_no)

    def query_refund(self, *, refund_no: str, transaction_no: str) -> RefundResult:
        path = "/v3/refund/domestic/refunds/{}".format(urllib.parse.quote(refund_no, safe=""))
        data = self.call("query", lambda: self._json("GET", path))
        return self._refund_result(data, refund_no)

    def _refund_result(self, data: dict, refund_no: str) -> RefundResult:
        if data.get("out_refund_no") != refund_no:
            raise ChannelError(channel_code="ANSWER_MISMATCH")
        try:
            return self._refund_from(data, "status")
        except _Malformed:
            raise ChannelError(channel_code="ANSWER_INCOMPLETE") from None

    @staticmethod
    def _refund_from(data: dict, status_field: str) -> RefundResult:
        problems: dict[str, list[str]] = {}
        number = data.get("out_refund_no")
        if not isinstance(number, str) or not number or len(number) > 64:
            problems["out_refund_no"] = [_("This field is required.")]
        word = str(data.get(status_field) or "")
        state = REFUND_STATES.get(word)
        if state is None:
            problems[status_field] = [_("Not a WeChat Pay refund status.")]
        money = data.get("amount") if isinstance(data.get("amount"), dict) else {}
        amount = None
        if money.get("refund") is not None:
            try:
                amount = from_fen(money.get("refund"))
            except ValueError:
                problems["amount"] = [_("Give the amount in fen as an integer.")]
        succeeded_at = _parse_time(data.get("success_time"))
        if problems:
            raise _Malformed(problems)
        return RefundResult(
            refund_no=number,
            status=state,
            channel_refund_no=str(data.get("refund_id") or "")[:64],
            amount=amount,
            succeeded_at=succeeded_at if state == REFUND_SUCCESS else None,
            error=word if state == REFUND_FAILED else "",
            raw={
                key: value
                for key, value in data.items()
                if key not in ("user_received_account", "payer")
            },
        )

    def parse_refund_notify(self, *, headers: Mapping[str, str], body: bytes) -> RefundResult:
        data = self._notification(headers, body, "refund")
        try:
            return self._refund_from(data, "refund_status")
        except _Malformed as error:
            raise InvalidNotification(fields=error.problems) from None

    # --- bills --------------------------------------------------------------------------

    def download_bill(self, *, bill_date: date) -> bytes:
        """The trade bill (``bill_type=ALL``) of ``bill_date``, its SHA1 checked.
        ``ChannelError`` ``NO_STATEMENT_EXIST`` (no bill that day, not retryable) or
        ``STATEMENT_CREATING`` (not ready yet, retryable) come from WeChat as they are."""
        path = f"/v3/bill/tradebill?bill_date={bill_date.isoformat()}&bill_type=ALL"
        info = self.call("bill", lambda: self._json("GET", path))
        url = info.get("download_url")
        expected = str(info.get("hash_value") or "").lower()
        if str(info.get("hash_type") or "SHA1").upper() != "SHA1" or not expected:
            raise ChannelError(channel_code="ANSWER_INCOMPLETE")
        # The signed download request goes to WeChat's own host only.
        ours = urllib.parse.urlsplit(self.base_url)
        if not isinstance(url, str) or urllib.parse.urlsplit(url)[:2] != ours[:2]:
            raise ChannelError(channel_code="ANSWER_INCOMPLETE", retryable=False)

        def fetch() -> bytes:
            # The file's answer is not signed: its hash (from the signed answer) is.
            _status, content = self._request("GET", url, signed_answer=False)
            if not hmac.compare_digest(
                hashlib.sha1(content, usedforsecurity=False).hexdigest(), expected
            ):
                raise ChannelError(channel_code="BILL_HASH_MISMATCH")
            return content

        return self.call("bill", fetch)
