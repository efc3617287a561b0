"""The sandbox channel (demo and tests): HMAC-SHA256 signed JSON, per ../shared/API.md.

Notification body ``{"transaction_no", "channel_trade_no", "amount", "status":
"SUCCESS" | "FAILED", "paid_at", "nonce"}``, header ``X-Sandbox-Signature`` = hex
HMAC-SHA256 of the raw body with ``PAYMENT_SANDBOX_SECRET``. Without a server a
query answers "not paid" (the demo pays through the "pay now" page or
``manage.py sandbox_pay``), closing always works, a refund succeeds at once.

With ``server_url`` in its configuration (tests of the query fallback, a shared demo
server) the sandbox asks that server, through :meth:`Gateway.call`:

* ``GET {server_url}/trades/{transaction_no}`` → ``{"status": "SUCCESS" | "NOTPAY" |
  "CLOSED", "amount", "channel_trade_no", "paid_at"}`` (404: the server never saw the
  trade — not paid);
* ``POST {server_url}/trades/{transaction_no}/close`` → 2xx (404: nothing to close).

Answers are signed like notifications (``X-Sandbox-Signature`` over the raw body): an
unsigned or forged answer is a ``ChannelError``, never a payment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from mall.core.money import to_money

from .base import (
    CLOSED,
    FAILED,
    NOTPAY,
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

SIGNATURE_HEADER = "X-Sandbox-Signature"
QUERY_STATUSES = {"SUCCESS": SUCCESS, "NOTPAY": NOTPAY, "CLOSED": CLOSED}


def _when(value):
    """A time from the channel's text; None when it is not one (``2026-13-45T…`` or an
    offset of +99:00 raise inside ``parse_datetime``)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def sandbox_sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class SandboxGateway(Gateway):
    channel = "sandbox"
    scenes = ("jsapi", "app", "h5", "native", "mini_program")

    @property
    def secret(self) -> str:
        return str(self.config.get("secret") or "")

    def create_payment(self, request: PaymentRequest) -> dict:
        return {
            "sandbox": True,
            "pay_page": f"/payments/sandbox/pay/{request.transaction_no}/",
            "notify_url": request.notify_url,
            "sign_type": "HMAC-SHA256",
            "expires_at": request.expires_at.isoformat() if request.expires_at else None,
        }

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes) -> Notice:
        signature = headers.get(SIGNATURE_HEADER) or ""
        if not self.secret or not isinstance(signature, str) or not signature:
            raise InvalidSignature()
        if not signature.isascii():  # compare_digest refuses non-ASCII text (a 500)
            raise InvalidSignature()
        if not hmac.compare_digest(sandbox_sign(self.secret, body), signature.strip().lower()):
            raise InvalidSignature()
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidNotification(_("The body is not JSON.")) from None
        if not isinstance(data, dict):
            raise InvalidNotification(_("The body is not a JSON object."))
        problems: dict[str, list[str]] = {}
        for name in ("transaction_no", "channel_trade_no"):
            value = data.get(name)
            if not isinstance(value, str) or not value.strip() or len(value) > 64:
                problems[name] = [_("This field is required.")]
        amount = None
        try:
            raw = data.get("amount")
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                raise InvalidOperation
            amount = Decimal(str(raw))
            if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems["amount"] = [_("Give the amount as a string with two decimals.")]
        if data.get("status") not in ("SUCCESS", "FAILED"):
            problems["status"] = [_("SUCCESS or FAILED.")]
        paid_at = None
        if data.get("paid_at") not in (None, ""):
            paid_at = _when(data["paid_at"])
            if paid_at is None or timezone.is_naive(paid_at):
                problems["paid_at"] = [_("Give a time with time zone.")]
        if problems:
            raise InvalidNotification(fields=problems)
        return Notice(
            transaction_no=data["transaction_no"].strip(),
            channel_trade_no=data["channel_trade_no"].strip(),
            status=SUCCESS if data["status"] == "SUCCESS" else FAILED,
            amount=to_money(amount),
            paid_at=paid_at,
            payer=str(data.get("payer") or "")[:64],
            raw={k: v for k, v in data.items() if k != "payer"},
        )

    def notify_answer(
        self, *, ok: bool, code: str = "", message: str = "", fields: dict | None = None
    ) -> NotifyAnswer:
        if ok:
            return NotifyAnswer(200, json.dumps({"code": "SUCCESS"}).encode())
        error = {"code": code or "invalid_notification", "message": message}
        if fields:
            error["fields"] = fields
        body = {"error": error}
        return NotifyAnswer(400, json.dumps(body, ensure_ascii=False).encode())

    # --- the optional sandbox server (query fallback) ---------------------------------

    @property
    def server_url(self) -> str:
        return str(self.config.get("server_url") or "").rstrip("/")

    def _server(self, method: str, path: str) -> tuple[int, bytes]:
        """One signed request/answer with the sandbox server: ``(status, body)``; 404 is
        an answer, any other error status or an unsigned answer a ``ChannelError``."""
        request = urllib.request.Request(  # noqa: S310 - scheme checked in _trade_url
            f"{self.server_url}{path}", method=method, data=b"" if method == "POST" else None
        )
        timeout = float(self.config.get("timeout") or 10)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                status, body, signature = (
                    answer.status,
                    answer.read(),
                    answer.headers.get(SIGNATURE_HEADER) or "",
                )
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return 404, b""
            raise ChannelError(channel_code=f"HTTP_{error.code}") from None
        if not self.secret or not hmac.compare_digest(
            sandbox_sign(self.secret, body), signature.strip().lower()
        ):
            raise ChannelError(channel_code="BAD_SIGNATURE", retryable=False)
        return status, body

    def _trade_url(self, transaction_no: str, suffix: str = "") -> str:
        if not self.server_url.startswith(("http://", "https://")):
            raise ChannelError(channel_code="BAD_SERVER_URL", retryable=False)
        return f"/trades/{urllib.parse.quote(transaction_no, safe='')}{suffix}"

    def query_payment(self, *, transaction_no: str) -> Notice:
        if not self.server_url:
            return Notice(transaction_no=transaction_no, status=NOTPAY)

        def ask() -> Notice:
            status, body = self._server("GET", self._trade_url(transaction_no))
            if status == 404:
                return Notice(transaction_no=transaction_no, status=NOTPAY)
            return self._query_notice(transaction_no, body)

        return self.call("query", ask)

    def _query_notice(self, transaction_no: str, body: bytes) -> Notice:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ChannelError(channel_code="BAD_ANSWER") from None
        if not isinstance(data, dict) or data.get("status") not in QUERY_STATUSES:
            raise ChannelError(channel_code="BAD_ANSWER")
        status = QUERY_STATUSES[data["status"]]
        if status != SUCCESS:
            return Notice(transaction_no=transaction_no, status=status, raw=data)
        trade_no = data.get("channel_trade_no")
        paid_at = _when(data.get("paid_at"))
        try:
            raw = data.get("amount")
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                raise InvalidOperation
            amount = Decimal(str(raw))
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise ChannelError(channel_code="BAD_ANSWER") from None
        if not isinstance(trade_no, str) or not trade_no.strip() or len(trade_no) > 64:
            raise ChannelError(channel_code="BAD_ANSWER")
        if paid_at is not None and timezone.is_naive(paid_at):
            paid_at = None
        return Notice(
            transaction_no=transaction_no,
            status=SUCCESS,
            amount=to_money(amount),
            channel_trade_no=trade_no.strip(),
            paid_at=paid_at,
            raw={k: v for k, v in data.items() if k != "payer"},
        )

    def close_payment(self, *, transaction_no: str) -> None:
        if not self.server_url:
            return None

        def close() -> None:
            self._server("POST", self._trade_url(transaction_no, "/close"))

        self.call("close", close)
        return None

    def refund(self, request: RefundRequest) -> RefundResult:
        if self.config.get("fail_refunds"):  # tests and the demo's failing refund
            raise ChannelError(channel_code="SANDBOX_REFUND_FAILED")
        return RefundResult(
            refund_no=request.refund_no,
            status=REFUND_SUCCESS,
            channel_refund_no=f"SBXR{secrets.token_hex(8).upper()}",
            amount=request.amount,
            succeeded_at=timezone.now(),
        )

    def query_refund(self, *, refund_no: str, transaction_no: str) -> RefundResult:
        return RefundResult(refund_no=refund_no, status=REFUND_SUCCESS)

    def parse_refund_notify(self, *, headers: Mapping[str, str], body: bytes) -> RefundResult:
        raise InvalidNotification(_("The sandbox sends no refund notifications."))

    def download_bill(self, *, bill_date: date) -> bytes:
        """The sandbox's trade bill of ``bill_date``: WeChat's layout, written from our
        own records (``payments.reconciliation.sandbox_bill``)."""
        from payments.reconciliation.sandbox_bill import sandbox_bill

        return sandbox_bill(bill_date=bill_date)
