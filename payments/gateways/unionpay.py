"""UnionPay online gateway (银联全渠道, 5.1.0, ``signMethod=01``) adapter.

Configuration (``settings.PAYMENT_GATEWAYS["unionpay"]``, docs/PAYMENTS_MERCHANT_SETUP.md):
``mer_id``; ``merchant_cert`` + ``merchant_key`` (PEM, or ``…_path``: we take the
signing certificate and its key as PEM instead of UnionPay's .pfx — convert it once
with ``openssl pkcs12``); ``root_cert`` + ``middle_cert`` (UnionPay's root and
intermediate CA, PEM or path); ``gateway_url`` (base, default
``https://gateway.95516.com``), ``file_url`` (the bill host, default
``https://filedownload.95516.com/``), ``front_url`` (where the payer's browser returns),
``timeout_seconds`` (default 10), ``validate_cn_name`` (default true: the signing
certificate must name 中国银联股份有限公司; the UnionPay test environment's does not).

Signing: the fields sorted by name, ``k=v`` joined by ``&`` without ``signature``; its
SHA-256 as lowercase hex is signed with RSA (SHA256withRSA, PKCS#1 v1.5), base64.
Our requests carry ``certId`` (our certificate's serial number, decimal). UnionPay's
messages carry ``signPubKeyCert``: it must be issued by the configured intermediate,
which must be issued by the configured root, all within validity, before it verifies.

Amounts are in fen (``txnAmt``). UnionPay identifies an order by ``orderId`` +
``txnTime``; we derive ``txnTime`` from the number's date (``PT20261128…`` →
``20261128000000``, Beijing) so that a query needs only our number.

=========================  ===================================================
what                       how
=========================  ===================================================
h5 / jsapi (web)           ``frontTransReq.do`` fields, signed: the client posts
                           them as a form to ``action`` (channelType 08)
app                        ``appTransReq.do`` → ``tn`` for the UnionPay app SDK
query                      ``queryTrans.do``: respCode 00 + origRespCode 00 paid
close                      not supported by UnionPay for an unpaid order: a no-op;
                           the order's ``payTimeout`` (our ``expires_at``) ends it
refund                     ``backTransReq.do`` txnType 04 (``origQryId``): accepted
                           = processing; the result comes by notification (refund
                           URL) or query
bill                       ``fileTransfer`` txnType 76 → base64 of a zlib-deflated zip
=========================  ===================================================

Partial: no desktop web (channelType 07), no QR code (bizType 000000 二维码), no
cancellation (txnType 31), no encrypted card data (we never see card numbers).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.money import to_money

from .base import (
    FAILED,
    NOTPAY,
    REFUND_FAILED,
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

DEFAULT_GATEWAY_URL = "https://gateway.95516.com"
DEFAULT_FILE_URL = "https://filedownload.95516.com/"
UNIONPAY_CN_NAME = "中国银联股份有限公司"
VERSION = "5.1.0"
BEIJING = ZoneInfo("Asia/Shanghai")
MAX_ANSWER_BYTES = 64 * 1024 * 1024
PAID_CODES = {"00", "A6"}  # A6: paid, with a part of the money held (still paid)
PENDING_CODES = {"03", "04", "05"}  # UnionPay: result unknown yet, ask again
NOT_FOUND = "34"
NUMBER_DATE = re.compile(r"^[A-Za-z]{0,8}(20\d{6})\d*$")
SENSITIVE = {"accNo", "signature", "signPubKeyCert", "customerInfo", "payCardNo"}


def sign_text(fields: Mapping[str, Any]) -> str:
    """The text UnionPay signs: sorted ``k=v`` joined by ``&`` without ``signature``."""
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "signature")


def _digest(fields: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(sign_text(fields).encode("utf-8")).hexdigest().encode("ascii")


def unionpay_sign(key: rsa.RSAPrivateKey, fields: Mapping[str, Any]) -> str:
    signature = key.sign(_digest(fields), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def parse_answer(text: str) -> dict[str, str]:
    """UnionPay's answers are ``k=v&…`` with raw (not percent-encoded) values, where a
    value may be ``{…}`` holding ``&`` and ``=``: split on ``&`` outside braces, at the
    first ``=``."""
    fields: dict[str, str] = {}
    depth, start = 0, 0
    parts = []
    for index, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == "&" and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    for part in parts:
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError("not a UnionPay answer")
        fields[key] = value
    return fields


def fen(amount: Decimal) -> str:
    return str(int(to_money(amount) * 100))


def yuan(value: Any) -> Decimal | None:
    if not isinstance(value, str) or not value.isdigit() or len(value) > 12:
        return None
    return to_money(Decimal(int(value)) / 100)


def txn_time_for(number: str) -> str:
    """The ``txnTime`` of one of our numbers (see the module's docstring)."""
    found = NUMBER_DATE.match(number or "")
    if found:
        return f"{found.group(1)}000000"
    return timezone.now().astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def _text(config: Mapping[str, Any], name: str) -> bytes:
    value = config.get(name)
    if value:
        return str(value).encode("utf-8")
    path = config.get(f"{name}_path")
    if path:
        return Path(path).read_bytes()
    return b""


class UnionPayGateway(Gateway):
    channel = "unionpay"
    # jsapi (a web page in an app's browser, the storefront's default) gets the same
    # front form as h5: UnionPay's cashier runs in any browser.
    scenes = ("h5", "jsapi", "app")

    # --- configuration -------------------------------------------------------------------

    @property
    def mer_id(self) -> str:
        return str(self.config.get("mer_id") or "")

    @property
    def gateway_url(self) -> str:
        return str(self.config.get("gateway_url") or DEFAULT_GATEWAY_URL).rstrip("/")

    @property
    def file_url(self) -> str:
        return str(self.config.get("file_url") or DEFAULT_FILE_URL)

    @property
    def timeout(self) -> float:
        return float(self.config.get("timeout_seconds") or 10)

    @cached_property
    def merchant_key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(_text(self.config, "merchant_key"), None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the UnionPay merchant key must be an RSA key")
        return key

    @cached_property
    def cert_id(self) -> str:
        return str(
            x509.load_pem_x509_certificate(_text(self.config, "merchant_cert")).serial_number
        )

    @cached_property
    def root_cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(_text(self.config, "root_cert"))

    @cached_property
    def middle_cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(_text(self.config, "middle_cert"))

    # --- signing and verifying -----------------------------------------------------------

    def _signed(self, fields: Mapping[str, Any]) -> dict[str, str]:
        data = {
            "version": VERSION,
            "encoding": "UTF-8",
            "signMethod": "01",
            "certId": self.cert_id,
            "merId": self.mer_id,
            "accessType": "0",
            **{key: str(value) for key, value in fields.items() if value not in (None, "")},
        }
        data["signature"] = unionpay_sign(self.merchant_key, data)
        return data

    def _signing_cert(self, pem: str) -> x509.Certificate | None:
        """``signPubKeyCert``, checked: issued by our intermediate, issued by our root,
        all within validity, naming UnionPay."""
        try:
            cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        except ValueError:
            return None
        now = timezone.now()
        try:
            cert.verify_directly_issued_by(self.middle_cert)
            self.middle_cert.verify_directly_issued_by(self.root_cert)
        except (ValueError, TypeError, CryptoInvalidSignature):
            return None
        for each in (cert, self.middle_cert, self.root_cert):
            if not (each.not_valid_before_utc <= now <= each.not_valid_after_utc):
                return None
        if self.config.get("validate_cn_name", True):
            names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            parts = str(names[0].value).split("@") if names else []
            if len(parts) < 3 or parts[2] != UNIONPAY_CN_NAME:
                return None
        return cert

    def _verifies(self, fields: Mapping[str, str]) -> bool:
        if fields.get("signMethod") != "01" or not fields.get("signature"):
            return False
        cert = self._signing_cert(fields.get("signPubKeyCert") or "")
        if cert is None:
            return False
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        try:
            signature = base64.b64decode(fields["signature"], validate=True)
            key.verify(signature, _digest(fields), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, CryptoInvalidSignature):
            return False
        return True

    # --- the server ----------------------------------------------------------------------

    def _post(self, url: str, fields: Mapping[str, Any]) -> dict[str, str]:
        body = urllib.parse.urlencode(self._signed(fields)).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the configured https gateway
            url,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                text = answer.read(MAX_ANSWER_BYTES).decode("utf-8")
        except urllib.error.HTTPError as error:
            raise ChannelError(channel_code=f"HTTP{error.code}") from None
        answer_fields = parse_answer(text.strip())
        if not answer_fields.get("respCode"):
            raise ChannelError(channel_code="UNIONPAY_BAD_ANSWER")
        # UnionPay signs its answers; only some format errors come back unsigned, and
        # an unsigned answer is never taken as a fact (paid, not found, pending).
        if answer_fields.get("signature"):
            if not self._verifies(answer_fields):
                raise ChannelError(channel_code="UNIONPAY_BAD_SIGNATURE", retryable=False)
        elif answer_fields["respCode"] in {"00", NOT_FOUND, *PENDING_CODES}:
            raise ChannelError(channel_code="UNIONPAY_UNSIGNED", retryable=False)
        if answer_fields.get("merId", self.mer_id) != self.mer_id:
            raise ChannelError(channel_code="UNIONPAY_OTHER_MERCHANT", retryable=False)
        return answer_fields

    def _ask(self, operation: str, path: str, fields: Mapping[str, Any], *, accept=()) -> dict:
        url = path if path.startswith("http") else f"{self.gateway_url}{path}"

        def run() -> dict:
            answer = self._post(url, fields)
            code = answer["respCode"]
            if code != "00" and code not in accept:
                # UnionPay's own words go to the log, not to the customer.
                logger.warning(
                    "UnionPay refused: %s %s", code, str(answer.get("respMsg") or "")[:200]
                )
                raise ChannelError(
                    channel_code=f"UNIONPAY_{code}"[:40], retryable=code in PENDING_CODES
                )
            return answer

        return self.call(operation, run)

    # --- paying --------------------------------------------------------------------------

    def _consume_fields(self, request: PaymentRequest, channel_type: str) -> dict[str, str]:
        fields = {
            "txnType": "01",
            "txnSubType": "01",
            "bizType": "000201",
            "channelType": channel_type,
            "currencyCode": "156",
            "orderId": request.transaction_no,
            "txnTime": txn_time_for(request.transaction_no),
            "txnAmt": fen(request.amount),
            "backUrl": request.notify_url,
        }
        if request.expires_at is not None:
            fields["payTimeout"] = request.expires_at.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")
        return fields

    def create_payment(self, request: PaymentRequest) -> dict[str, Any]:
        if request.scene == "app":
            answer = self._ask(
                "create", "/gateway/api/appTransReq.do", self._consume_fields(request, "08")
            )
            if not answer.get("tn"):
                raise ChannelError(channel_code="UNIONPAY_NO_TN")
            return {"tn": answer["tn"], "order_id": request.transaction_no}
        fields = self._consume_fields(request, "08")
        if self.config.get("front_url"):
            fields["frontUrl"] = str(self.config["front_url"])
        try:
            signed = self._signed(fields)
        except (ValueError, OSError) as error:  # a key or certificate that cannot be read
            raise ChannelError(channel_code="UNIONPAY_CONFIG", retryable=False) from error
        return {
            "action": f"{self.gateway_url}/gateway/api/frontTransReq.do",
            "method": "POST",
            "fields": signed,
        }

    # --- notifications -------------------------------------------------------------------

    def _verified_form(self, body: bytes) -> dict[str, str]:
        try:
            pairs = urllib.parse.parse_qsl(
                body.decode("ascii"), keep_blank_values=True, strict_parsing=True
            )
        except (UnicodeDecodeError, ValueError):
            raise InvalidNotification(_("The body is not a form.")) from None
        fields: dict[str, str] = {}
        for key, value in pairs:
            if key in fields:
                raise InvalidNotification(_("A field is given twice."))
            fields[key] = value
        if not self._verifies(fields):
            raise InvalidSignature()
        if fields.get("merId") != self.mer_id or not self.mer_id:
            raise InvalidSignature(_("The notification is for another merchant."))
        return fields

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes) -> Notice:
        fields = self._verified_form(body)
        if fields.get("txnType") != "01":
            raise InvalidNotification(_("This is not a payment notification."))
        return self._notice(fields, fields.get("respCode"))

    @staticmethod
    def _notice(fields: Mapping[str, str], code: str | None) -> Notice:
        number = str(fields.get("orderId") or "")
        amount = yuan(fields.get("txnAmt"))
        problems: dict[str, list[str]] = {}
        if not number or len(number) > 64:
            problems["orderId"] = [_("This field is required.")]
        if amount is None:
            problems["txnAmt"] = [_("In fen.")]
        if problems:
            raise InvalidNotification(fields=problems)
        if code in PAID_CODES:
            status = SUCCESS
        elif code in PENDING_CODES:
            status = NOTPAY
        else:
            status = FAILED
        return Notice(
            transaction_no=number,
            status=status,
            amount=amount,
            channel_trade_no=str(fields.get("queryId") or "")[:64],
            payer=str(fields.get("accNo") or "")[:64],  # the masked card number
            raw={k: v for k, v in fields.items() if k not in SENSITIVE},
        )

    def notify_answer(
        self, *, ok: bool, code: str = "", message: str = "", fields: dict | None = None
    ) -> NotifyAnswer:
        # UnionPay reads the HTTP status only: anything but 200 makes it retry.
        return NotifyAnswer(200 if ok else 400, b"ok" if ok else b"fail", "text/plain")

    def parse_refund_notify(self, *, headers: Mapping[str, str], body: bytes) -> RefundResult:
        fields = self._verified_form(body)
        if fields.get("txnType") != "04" or not fields.get("orderId"):
            raise InvalidNotification(_("This is not a refund notification."))
        return self._refund_result(fields, fields.get("respCode"))

    @staticmethod
    def _refund_result(fields: Mapping[str, str], code: str | None) -> RefundResult:
        if code in PAID_CODES:
            status = REFUND_SUCCESS
        elif code in PENDING_CODES:
            status = REFUND_PROCESSING
        else:
            status = REFUND_FAILED
        return RefundResult(
            refund_no=str(fields.get("orderId") or "")[:64],
            status=status,
            channel_refund_no=str(fields.get("queryId") or "")[:64],
            amount=yuan(fields.get("txnAmt")),
            succeeded_at=timezone.now() if status == REFUND_SUCCESS else None,
            error="" if status != REFUND_FAILED else str(fields.get("respMsg") or code)[:200],
            raw={k: v for k, v in fields.items() if k not in SENSITIVE},
        )

    # --- queries, refunds, bills ---------------------------------------------------------

    def _query(self, number: str) -> dict[str, str]:
        return self._ask(
            "query",
            "/gateway/api/queryTrans.do",
            {
                "txnType": "00",
                "txnSubType": "00",
                "bizType": "000000",
                "orderId": number,
                "txnTime": txn_time_for(number),
            },
            accept=(NOT_FOUND,),
        )

    def query_payment(self, *, transaction_no: str) -> Notice:
        answer = self._query(transaction_no)
        if answer["respCode"] == NOT_FOUND:
            return Notice(transaction_no=transaction_no, status=NOTPAY)
        if answer.get("orderId", transaction_no) != transaction_no:
            raise ChannelError(channel_code="UNIONPAY_OTHER_ORDER", retryable=False)
        try:
            return self._notice(answer, answer.get("origRespCode"))
        except InvalidNotification as error:
            raise ChannelError(channel_code="UNIONPAY_BAD_ANSWER") from error

    def close_payment(self, *, transaction_no: str) -> None:
        # UnionPay has no closing of an unpaid consume: it ends at its payTimeout.
        return None

    def refund(self, request: RefundRequest) -> RefundResult:
        if not request.channel_trade_no:
            raise ChannelError(channel_code="UNIONPAY_NO_QUERY_ID", retryable=False)
        self._ask(
            "refund",
            "/gateway/api/backTransReq.do",
            {
                "txnType": "04",
                "txnSubType": "00",
                "bizType": "000201",
                "channelType": "07",
                "orderId": request.refund_no,
                "origQryId": request.channel_trade_no,
                "txnTime": txn_time_for(request.refund_no),
                "txnAmt": fen(request.amount),
                "backUrl": request.notify_url,
            },
            accept=tuple(PENDING_CODES),
        )
        # Accepted: the result comes by notification or query.
        return RefundResult(refund_no=request.refund_no, status=REFUND_PROCESSING)

    def query_refund(self, *, refund_no: str, transaction_no: str) -> RefundResult:
        answer = self._query(refund_no)
        if answer["respCode"] == NOT_FOUND:
            return RefundResult(
                refund_no=refund_no, status=REFUND_FAILED, error="UNIONPAY_NOT_FOUND"
            )
        return self._refund_result({**answer, "orderId": refund_no}, answer.get("origRespCode"))

    def download_bill(self, *, bill_date: date) -> bytes:
        """The day's settlement file (fileType 00): a zip, deflated and base64 in
        ``fileContent``; returned as the zip's bytes."""
        answer = self._ask(
            "bill",
            self.file_url,
            {
                "txnType": "76",
                "txnSubType": "01",
                "bizType": "000000",
                "settleDate": bill_date.strftime("%m%d"),
                "txnTime": datetime.now(BEIJING).strftime("%Y%m%d%H%M%S"),
                "fileType": "00",
            },
        )
        try:
            return zlib.decompress(base64.b64decode(answer.get("fileContent") or "", validate=True))
        except (ValueError, zlib.error) as error:
            raise ChannelError(channel_code="UNIONPAY_BAD_FILE", retryable=False) from error
