"""Alipay (支付宝开放平台) adapter, public-key mode, RSA2 (SHA256withRSA).

Configuration (``settings.PAYMENT_GATEWAYS["alipay"]``, docs/PAYMENTS_MERCHANT_SETUP.md):
``app_id``, ``seller_id`` (the merchant PID, 2088…), ``private_key`` (PEM, or the bare
base64 the Alipay key tool writes) or ``private_key_path``, ``alipay_public_key`` (PEM
or bare base64; a list while Alipay's key is being rotated) or ``alipay_public_key_path``,
``gateway_url`` (default the production gateway) and ``timeout_seconds`` (default 10).
Certificate mode (``app_cert_sn`` / ``alipay_root_cert_sn``) is not implemented.

Signing: the parameters sorted by key, ``k=v`` joined by ``&`` without ``sign`` and
empty values; requests include ``sign_type`` in the signed text, notifications exclude
``sign`` and ``sign_type``. A server answer ``{"<method>_response": {...}, "sign": "…"}``
is verified over the raw JSON text of the ``…_response`` node, as Alipay signs it.

Scenes (which Alipay product each of our scenes uses):

============  ===========================  ===============================================
scene         Alipay method                 pay parameters answered
============  ===========================  ===============================================
app           ``alipay.trade.app.pay``      ``order_string`` (signed; the app SDK sends it)
h5            ``alipay.trade.wap.pay``      ``pay_url`` (GET; the phone browser opens it)
native        ``alipay.trade.precreate``    ``qr_code`` (asked from the server; shown as QR)
jsapi         ``alipay.trade.create``       ``trade_no`` (inside Alipay: ``tradePay``) when
                                            the payer's ``buyer_id`` is given as
                                            ``payer_id``; without it ``wap.pay``'s ``pay_url``
                                            (the storefront's default scene is jsapi)
mini_program  ``alipay.trade.create``       ``trade_no`` (``my.tradePay``); ``payer_id``
                                            (the buyer id) required
============  ===========================  ===============================================

``alipay.trade.page.pay`` (the desktop cashier page) is not used: our scenes have no
desktop one — a desktop browser pays with the QR code (native).

Refunds: ``alipay.trade.refund`` answers at once (``fund_change`` Y = money moved); an
``N`` (e.g. the same ``out_request_no`` again) is settled by asking
``alipay.trade.fastpay.refund.query``. Alipay's refund notifications arrive at the
payment's ``notify_url`` with ``out_biz_no`` / ``refund_fee`` / ``gmt_refund``:
``parse_notify`` reads them as the trade's state (paid → a duplicate, nothing changes),
``parse_refund_notify`` as the refund's (``refund_fee`` there is the trade's refunded
total, so ``amount`` is left unknown).
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.money import to_money

from ..exceptions import InvalidPaymentInput
from .base import (
    CLOSED,
    NOTPAY,
    REFUND_PROCESSING,
    REFUND_SUCCESS,
    SUCCESS,
    ChannelError,
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

DEFAULT_GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_BILL_BYTES = 64 * 1024 * 1024
MAX_ANSWER_BYTES = 4 * 1024 * 1024

TRADE_STATUS = {
    "TRADE_SUCCESS": SUCCESS,
    "TRADE_FINISHED": SUCCESS,
    "WAIT_BUYER_PAY": NOTPAY,
    "TRADE_CLOSED": CLOSED,
}
# Alipay's gateway codes that are worth another try (the rest are refusals).
RETRYABLE_CODES = {"20000"}
RETRYABLE_SUB_CODES = {"ACQ.SYSTEM_ERROR", "ACQ.REASON_TRADE_BEEN_FREEZEN", "aop.ACQ.SYSTEM_ERROR"}
# Refund fields: a notification carrying them reports a refund (partial or full).
REFUND_FIELDS = ("out_biz_no", "refund_fee", "gmt_refund")
# Charsets a notification may declare, and the codec its signed bytes are in.
ALLOWED_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "gb2312": "gbk"}


# --- signing ------------------------------------------------------------------------------


def sign_content(params: Mapping[str, Any], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    """The text Alipay signs: sorted ``k=v`` joined by ``&`` (empty values left out)."""
    return "&".join(
        f"{key}={params[key]}"
        for key in sorted(params)
        if key not in exclude and params[key] is not None and str(params[key]) != ""
    )


def rsa2_sign(private_key: rsa.RSAPrivateKey, text: str) -> str:
    signature = private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(public_keys, text: str | bytes, signature: str) -> bool:
    """True when one of ``public_keys`` verifies the base64 ``signature`` over ``text``."""
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
    except (ValueError, TypeError):
        return False
    data = text.encode("utf-8") if isinstance(text, str) else text
    for key in public_keys:
        try:
            key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        except CryptoInvalidSignature:
            continue
    return False


def _pem_or_base64(text: str, kind: str) -> bytes:
    """Alipay's key tool writes bare base64; wrap it as PEM (``kind``: PRIVATE/PUBLIC)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text.encode("ascii")
    body = "".join(text.split())
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind} KEY-----\n{lines}\n-----END {kind} KEY-----\n".encode("ascii")


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    pem = _pem_or_base64(text, "PRIVATE")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError:
        # Bare base64 of a PKCS#1 key (BEGIN RSA PRIVATE KEY).
        key = serialization.load_pem_private_key(
            pem.replace(b"BEGIN PRIVATE", b"BEGIN RSA PRIVATE").replace(
                b"END PRIVATE", b"END RSA PRIVATE"
            ),
            password=None,
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the Alipay application key must be an RSA key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(_pem_or_base64(text, "PUBLIC"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the Alipay public key must be an RSA key")
    return key


def _read(config: Mapping[str, Any], name: str) -> str | list:
    value = config.get(name)
    if value:
        return value
    path = config.get(f"{name}_path")
    if path:
        return Path(path).read_text(encoding="utf-8")
    return ""


def response_node_text(text: str, node: str) -> str | None:
    """The raw JSON text of ``node``'s value in the answer ``text`` (what Alipay signs)."""
    key = f'"{node}"'
    start = text.find(key)
    if start < 0:
        return None
    colon = text.find(":", start + len(key))
    if colon < 0:
        return None
    begin = colon + 1
    while begin < len(text) and text[begin] in " \t\r\n":
        begin += 1
    try:
        _value, end = json.JSONDecoder().raw_decode(text, begin)
    except ValueError:
        return None
    return text[begin:end]


def _money(value: Any) -> Decimal | None:
    """A yuan string (``"12.30"``) as money; None when absent or not an amount."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return to_money(amount)


def _shanghai_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    for pattern in (TIME_FORMAT, TIME_FORMAT + ".%f"):  # gmt_refund has milliseconds
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    return None


def _fmt(amount: Decimal) -> str:
    return f"{to_money(amount):.2f}"


class AlipayGateway(Gateway):
    channel = "alipay"
    scenes = ("jsapi", "app", "h5", "native", "mini_program")

    # --- configuration ------------------------------------------------------------------

    @property
    def app_id(self) -> str:
        return str(self.config.get("app_id") or "")

    @property
    def seller_id(self) -> str:
        return str(self.config.get("seller_id") or "")

    @property
    def gateway_url(self) -> str:
        return str(self.config.get("gateway_url") or DEFAULT_GATEWAY_URL)

    @property
    def timeout(self) -> float:
        return float(self.config.get("timeout_seconds") or 10)

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        return load_private_key(str(_read(self.config, "private_key")))

    @cached_property
    def alipay_public_keys(self) -> list[rsa.RSAPublicKey]:
        """Alipay's public key(s): during a rotation both the old and the new one."""
        value = _read(self.config, "alipay_public_key")
        texts = value if isinstance(value, list | tuple) else [value]
        return [load_public_key(str(text)) for text in texts if text]

    # --- requests -----------------------------------------------------------------------

    def _signed_params(
        self, method: str, biz: Mapping[str, Any], *, notify_url: str = ""
    ) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": timezone.now().astimezone(SHANGHAI).strftime(TIME_FORMAT),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        if notify_url:
            params["notify_url"] = notify_url
        params["sign"] = rsa2_sign(self.private_key, sign_content(params))
        return params

    def _post(self, method: str, biz: Mapping[str, Any], *, notify_url: str = "") -> dict:
        """Send ``method`` to the gateway; the verified ``…_response`` node, whatever its
        code (callers read ``code`` / ``sub_code``). ChannelError when the server cannot
        be reached, answers unsigned or with a bad signature."""
        params = self._signed_params(method, biz, notify_url=notify_url)
        data = urllib.parse.urlencode(params).encode("utf-8")
        url = self.gateway_url
        request = urllib.request.Request(  # noqa: S310 - the configured https gateway
            f"{url}{'&' if '?' in url else '?'}charset=utf-8",
            data=data,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                text = answer.read(MAX_ANSWER_BYTES).decode("utf-8")
        except urllib.error.HTTPError as error:
            raise ChannelError(channel_code=f"HTTP{error.code}") from None
        node_name = method.replace(".", "_") + "_response"
        raw_node = response_node_text(text, node_name)
        if raw_node is None:
            raw_node = response_node_text(text, "error_response")
        answer_json = json.loads(text)
        if raw_node is None or not isinstance(answer_json, dict):
            raise ChannelError(channel_code="ALIPAY_BAD_ANSWER")
        node = json.loads(raw_node)
        if not isinstance(node, dict):
            raise ChannelError(channel_code="ALIPAY_BAD_ANSWER")
        signature = answer_json.get("sign")
        if isinstance(signature, str) and signature:
            if not rsa2_verify(self.alipay_public_keys, raw_node, signature):
                raise ChannelError(channel_code="ALIPAY_BAD_SIGNATURE", retryable=False)
        elif str(node.get("code")) == "10000":
            # A success must be signed; Alipay leaves only some gateway errors unsigned.
            raise ChannelError(channel_code="ALIPAY_UNSIGNED", retryable=False)
        else:
            # An unsigned error is never taken as a fact (e.g. "no such trade").
            raise self._refused(node)
        return node

    @staticmethod
    def _refused(node: Mapping[str, Any]) -> ChannelError:
        code = str(node.get("code") or "")
        sub_code = str(node.get("sub_code") or "")
        retryable = code in RETRYABLE_CODES or sub_code in RETRYABLE_SUB_CODES
        # Alipay's own words go to the log, not to the customer (they may name our
        # merchant configuration).
        logger.warning(
            "Alipay refused: %s %s %s", code, sub_code, str(node.get("sub_msg") or "")[:200]
        )
        return ChannelError(channel_code=(sub_code or code)[:40], retryable=retryable)

    def _ask(self, operation: str, method: str, biz: Mapping[str, Any], **kw) -> dict:
        """``_post`` through ``call`` (health); non-10000 answers become ChannelError
        unless the caller's ``accept(node)`` takes them."""
        accept: Callable[[dict], bool] | None = kw.pop("accept", None)

        def run() -> dict:
            node = self._post(method, biz, **kw)
            if str(node.get("code")) != "10000" and not (accept and accept(node)):
                raise self._refused(node)
            return node

        return self.call(operation, run)

    # --- paying -------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> dict[str, Any]:
        biz: dict[str, Any] = {
            "out_trade_no": request.transaction_no,
            "total_amount": _fmt(request.amount),
            "subject": (request.description or request.transaction_no)[:128],
        }
        if request.expires_at is not None:
            biz["time_expire"] = request.expires_at.astimezone(SHANGHAI).strftime(TIME_FORMAT)
        scene = request.scene
        if scene in ("app", "h5"):
            try:
                self.private_key  # noqa: B018 - a key that cannot be read: the channel is down
            except (ValueError, OSError) as error:
                raise ChannelError(channel_code="ALIPAY_CONFIG", retryable=False) from error
        if scene == "app":
            biz["product_code"] = "QUICK_MSECURITY_PAY"
            params = self._signed_params("alipay.trade.app.pay", biz, notify_url=request.notify_url)
            return {"order_string": urllib.parse.urlencode(params), "sign_type": "RSA2"}
        if scene == "h5" or (scene == "jsapi" and not request.payer_id):
            biz["product_code"] = "QUICK_WAP_WAY"
            params = self._signed_params("alipay.trade.wap.pay", biz, notify_url=request.notify_url)
            url = self.gateway_url
            pay_url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
            return {"pay_url": pay_url, "method": "GET"}
        if scene == "native":
            node = self._ask("create", "alipay.trade.precreate", biz, notify_url=request.notify_url)
            if not node.get("qr_code"):
                raise ChannelError(channel_code="ALIPAY_NO_QR_CODE")
            return {"qr_code": str(node["qr_code"]), "out_trade_no": request.transaction_no}
        if scene in ("jsapi", "mini_program"):
            if not request.payer_id:
                raise InvalidPaymentInput(
                    fields={"payer_id": [_("The payer's Alipay buyer id is required.")]}
                )
            biz["buyer_id"] = request.payer_id
            biz["product_code"] = "JSAPI_PAY"
            node = self._ask("create", "alipay.trade.create", biz, notify_url=request.notify_url)
            if not node.get("trade_no"):
                raise ChannelError(channel_code="ALIPAY_NO_TRADE_NO")
            return {"trade_no": str(node["trade_no"]), "out_trade_no": request.transaction_no}
        raise InvalidPaymentInput(fields={"scene": [_("This channel does not offer this scene.")]})

    # --- notifications ------------------------------------------------------------------

    def _verified_form(self, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The notification's fields, verified (signature, app id, seller id)."""
        try:
            ascii_text = body.decode("latin-1")
            charset = "utf-8"
            for key, value in urllib.parse.parse_qsl(ascii_text, keep_blank_values=True):
                if key == "charset" and value.strip():
                    charset = value.strip().lower()
            # Only the charsets Alipay sends: a codec such as unicode_escape or utf-7
            # could smuggle text the signature check never sees the same way.
            if charset not in ALLOWED_CHARSETS:
                raise InvalidNotification(_("The body is not a form."))
            pairs = urllib.parse.parse_qsl(
                body.decode("ascii"),
                keep_blank_values=True,
                strict_parsing=True,
                encoding=charset,
                errors="strict",
            )
        except (UnicodeDecodeError, ValueError, LookupError):
            raise InvalidNotification(_("The body is not a form.")) from None
        data: dict[str, str] = {}
        for key, value in pairs:
            if key in data:
                raise InvalidNotification(_("A field is given twice."))
            data[key] = value
        signature = data.get("sign") or ""
        if data.get("sign_type", "RSA2") != "RSA2" or not signature:
            raise InvalidSignature()
        if not self.alipay_public_keys:
            raise InvalidSignature()
        text = sign_content(data, exclude=("sign", "sign_type"))
        try:
            # Alipay signs the bytes of the declared charset.
            signed = text.encode(ALLOWED_CHARSETS[charset])
        except UnicodeError:
            raise InvalidNotification(_("The body is not a form.")) from None
        if not rsa2_verify(self.alipay_public_keys, signed, signature):
            raise InvalidSignature()
        # Another app or merchant: answered like any bad signature (tells nothing more).
        if data.get("app_id") != self.app_id or not self.app_id:
            raise InvalidSignature()
        if data.get("seller_id") != self.seller_id or not self.seller_id:
            raise InvalidSignature()
        return data

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes) -> Notice:
        data = self._verified_form(headers, body)
        return self._notice(data)

    def _notice(self, data: Mapping[str, Any]) -> Notice:
        problems: dict[str, list[str]] = {}
        number = str(data.get("out_trade_no") or "").strip()
        if not number or len(number) > 64:
            problems["out_trade_no"] = [_("This field is required.")]
        status = TRADE_STATUS.get(str(data.get("trade_status") or ""))
        if status is None:
            problems["trade_status"] = [_("Not a trade status of the channel.")]
        amount = _money(data.get("total_amount"))
        if amount is None and status == SUCCESS:
            problems["total_amount"] = [_("Give the amount as a string with two decimals.")]
        if problems:
            raise InvalidNotification(fields=problems)
        paid = _money(data.get("buyer_pay_amount"))
        if paid is None:
            paid = _money(data.get("receipt_amount"))
        discount = Decimal("0.00")
        if amount is not None and paid is not None and paid < amount:
            discount = to_money(amount - paid)
        payer = next(
            (
                data[k]
                for k in ("buyer_open_id", "buyer_id", "buyer_user_id", "buyer_logon_id")
                if data.get(k)
            ),
            "",
        )
        return Notice(
            transaction_no=number,
            status=status,
            amount=amount,
            channel_trade_no=str(data.get("trade_no") or "")[:64],
            paid_at=_shanghai_time(data.get("gmt_payment")) if status == SUCCESS else None,
            payer=str(payer or "")[:64],
            discount_amount=discount,
            raw=_public_fields(data),
        )

    def notify_answer(
        self, *, ok: bool, code: str = "", message: str = "", fields: dict | None = None
    ) -> NotifyAnswer:
        # Alipay reads only the text: anything but "success" makes it retry.
        return NotifyAnswer(200 if ok else 400, b"success" if ok else b"fail", "text/plain")

    def parse_refund_notify(self, *, headers: Mapping[str, str], body: bytes) -> RefundResult:
        data = self._verified_form(headers, body)
        refund_no = str(data.get("out_biz_no") or "").strip()
        if not refund_no or len(refund_no) > 64 or _money(data.get("refund_fee")) is None:
            raise InvalidNotification(_("This is not a refund notification."))
        return RefundResult(
            refund_no=refund_no,
            status=REFUND_SUCCESS,  # Alipay notifies refunds that moved money only
            channel_refund_no=str(data.get("trade_no") or "")[:64],
            amount=None,  # refund_fee is the trade's refunded total, not this refund's
            succeeded_at=_shanghai_time(data.get("gmt_refund")),
            raw=_public_fields(data),
        )

    # --- queries, closing, refunds, bills --------------------------------------------------

    def query_payment(self, *, transaction_no: str) -> Notice:
        node = self._ask(
            "query",
            "alipay.trade.query",
            {"out_trade_no": transaction_no},
            accept=_trade_not_exist,
        )
        if _trade_not_exist(node):
            # Alipay creates the trade when the payer opens the cashier: not paid.
            return Notice(transaction_no=transaction_no, status=NOTPAY)
        if str(node.get("out_trade_no") or transaction_no) != transaction_no:
            raise ChannelError(channel_code="ALIPAY_OTHER_TRADE", retryable=False)
        try:
            paid_at = node.get("send_pay_date") or node.get("gmt_payment")
            return self._notice({**node, "out_trade_no": transaction_no, "gmt_payment": paid_at})
        except InvalidNotification as error:
            raise ChannelError(channel_code="ALIPAY_BAD_ANSWER") from error

    def close_payment(self, *, transaction_no: str) -> None:
        # A trade Alipay never created (the payer never opened the cashier) cannot be
        # paid any more once our side is closed: nothing to close.
        self._ask(
            "close",
            "alipay.trade.close",
            {"out_trade_no": transaction_no},
            accept=_trade_not_exist,
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        biz: dict[str, Any] = {
            "out_trade_no": request.transaction_no,
            "refund_amount": _fmt(request.amount),
            "out_request_no": request.refund_no,
        }
        if request.channel_trade_no:
            biz["trade_no"] = request.channel_trade_no
        if request.reason:
            biz["refund_reason"] = str(request.reason)[:256]
        node = self._ask("refund", "alipay.trade.refund", biz)
        if node.get("fund_change") == "Y":
            return RefundResult(
                refund_no=request.refund_no,
                status=REFUND_SUCCESS,
                channel_refund_no=str(node.get("trade_no") or "")[:64],
                amount=request.amount,
                succeeded_at=_shanghai_time(node.get("gmt_refund_pay")) or timezone.now(),
                raw=_public_fields(node),
            )
        # "N": no money moved by this request (a repeat of a done refund, or pending):
        # the refund query tells which.
        return self.query_refund(refund_no=request.refund_no, transaction_no=request.transaction_no)

    def query_refund(self, *, refund_no: str, transaction_no: str) -> RefundResult:
        node = self._ask(
            "query",
            "alipay.trade.fastpay.refund.query",
            {
                "out_trade_no": transaction_no,
                "out_request_no": refund_no,
                "query_options": ["gmt_refund_pay"],
            },
        )
        status_word = str(node.get("refund_status") or "")
        done = status_word == "REFUND_SUCCESS" or (
            not status_word
            and node.get("out_request_no") == refund_no
            and node.get("refund_amount")
        )
        return RefundResult(
            refund_no=refund_no,
            status=REFUND_SUCCESS if done else REFUND_PROCESSING,
            channel_refund_no=str(node.get("trade_no") or "")[:64],
            amount=_money(node.get("refund_amount")) if done else None,
            succeeded_at=_shanghai_time(node.get("gmt_refund_pay")) if done else None,
            raw=_public_fields(node),
        )

    def download_bill(self, *, bill_date: date) -> bytes:
        """The trade bill (``bill_type`` trade): Alipay answers a short-lived URL of a zip
        of GBK CSV files; the zip's bytes are returned as downloaded."""
        node = self._ask(
            "bill",
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": bill_date.isoformat()},
        )
        url = str(node.get("bill_download_url") or "")
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ChannelError(channel_code="ALIPAY_NO_BILL_URL", retryable=False)

        def fetch() -> bytes:
            request = urllib.request.Request(url, method="GET")  # noqa: S310 - scheme checked
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                    content = answer.read(MAX_BILL_BYTES + 1)
            except urllib.error.HTTPError as error:
                raise ChannelError(channel_code=f"HTTP{error.code}") from None
            if len(content) > MAX_BILL_BYTES:
                raise ChannelError(channel_code="ALIPAY_BILL_TOO_LARGE", retryable=False)
            return content

        return self.call("bill", fetch)


def _trade_not_exist(node: Mapping[str, Any]) -> bool:
    return str(node.get("sub_code") or "") == "ACQ.TRADE_NOT_EXIST"


# Personal data (who paid) is kept on the transaction encrypted, never in ``raw``.
_PERSONAL = {"buyer_id", "buyer_logon_id", "buyer_open_id", "buyer_user_id", "sign"}


def _public_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in _PERSONAL}
