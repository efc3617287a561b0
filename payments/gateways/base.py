"""The one interface every payment channel implements (DESIGN.md §5 payments).

A gateway turns our records into the channel's protocol and the channel's messages
into plain facts. It never touches the database: the services in
``payments/services/`` decide what the facts mean (apply once, anomaly, refund).

Every method that talks to the channel's server goes through :meth:`Gateway.call`
(timing and success recorded for channel health by the caller's ``on_call`` hook) and
raises :class:`ChannelError` when the server cannot be reached or answers an error —
never anything else. Notifications that fail verification raise
:class:`InvalidSignature` (forged, tampered, wrong key, wrong certificate serial,
stale timestamp, wrong app id / merchant) or :class:`InvalidNotification` (the
signature is fine but the body is not what the protocol says).

Keys and certificates come from ``settings.PAYMENT_GATEWAYS[channel]`` (PEM text or a
file path; see docs/PAYMENTS_MERCHANT_SETUP.md). A channel without configuration is
not offered (``available_channels``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError

# Statuses a notice or a query answer reports (channel words mapped to these four).
SUCCESS = "SUCCESS"  # paid (WeChat SUCCESS, Alipay TRADE_SUCCESS / TRADE_FINISHED, …)
NOTPAY = "NOTPAY"  # not paid yet (WeChat NOTPAY / USERPAYING, Alipay WAIT_BUYER_PAY)
CLOSED = "CLOSED"  # closed without payment (WeChat CLOSED / REVOKED, Alipay TRADE_CLOSED)
FAILED = "FAILED"  # payment failed (WeChat PAYERROR, sandbox FAILED)

# Refund statuses.
REFUND_SUCCESS = "SUCCESS"
REFUND_PROCESSING = "PROCESSING"
REFUND_FAILED = "FAILED"  # WeChat ABNORMAL / CLOSED, Alipay refund failure


class InvalidSignature(ApplicationError):
    code = "invalid_signature"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = _("The notification's signature is not valid.")


class InvalidNotification(ApplicationError):
    code = "invalid_notification"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The notification is not in the channel's format.")


class ChannelError(ApplicationError):
    """The channel's server could not be reached or refused the request."""

    code = "channel_error"
    status_code = status.HTTP_502_BAD_GATEWAY
    default_message = _("The payment channel did not answer as expected; try again.")

    def __init__(self, message=None, *, channel_code: str = "", retryable: bool = True, **kw):
        super().__init__(message, **kw)
        self.channel_code = channel_code  # the channel's own error code, for the log
        self.retryable = retryable


class ChannelUnavailable(ApplicationError):
    code = "channel_unavailable"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("This payment channel is not available.")


@dataclass(frozen=True)
class PaymentRequest:
    """What a gateway needs to create a payment at the channel."""

    transaction_no: str
    amount: Decimal
    description: str
    scene: str  # payments.models.Scene value
    expires_at: datetime | None
    notify_url: str
    client_ip: str = ""
    payer_id: str = ""  # openid (WeChat JSAPI / mini-program), buyer id; may be empty


@dataclass(frozen=True)
class Notice:
    """A payment's state as the channel reports it (notification or query answer)."""

    transaction_no: str  # ours (out_trade_no)
    status: str  # SUCCESS / NOTPAY / CLOSED / FAILED
    amount: Decimal | None = None  # what the payer paid (total for the trade), None if unknown
    channel_trade_no: str = ""
    paid_at: datetime | None = None
    payer: str = ""  # personal data: stored encrypted, never logged
    discount_amount: Decimal = Decimal("0.00")
    raw: Mapping[str, Any] = field(default_factory=dict)  # parsed fields, for the record


@dataclass(frozen=True)
class RefundRequest:
    refund_no: str
    transaction_no: str
    channel_trade_no: str
    amount: Decimal
    total_amount: Decimal  # the transaction's paid amount (WeChat and Alipay ask for it)
    reason: str
    notify_url: str


@dataclass(frozen=True)
class RefundResult:
    """A refund's state as the channel reports it (answer, query or notification)."""

    refund_no: str
    status: str  # REFUND_SUCCESS / REFUND_PROCESSING / REFUND_FAILED
    channel_refund_no: str = ""
    amount: Decimal | None = None
    succeeded_at: datetime | None = None
    error: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyAnswer:
    """What we answer the channel's notification, in its expected form."""

    status: int
    body: bytes
    content_type: str = "application/json"


class Gateway:
    """Base of every channel adapter. Subclasses set ``channel`` and implement each
    method; ``config`` is ``settings.PAYMENT_GATEWAYS[channel]``."""

    channel: ClassVar[str] = ""
    # True for the member balance: the payment is taken inside ``create_payment`` (in
    # the caller's database transaction) and the services apply it at once.
    settles_immediately: ClassVar[bool] = False
    # Which scenes the channel supports (payments.models.Scene values).
    scenes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any], *, on_call: Callable | None = None):
        self.config = dict(config)
        self._on_call = on_call

    # --- channel health -----------------------------------------------------------------

    def call(self, operation: str, func: Callable[[], Any]) -> Any:
        """Run one request to the channel's server, reporting (channel, operation, ok,
        latency ms, error code) to ``on_call``. ``operation`` is one of
        ``ChannelCall.Operation`` (create, query, close, refund, notify, bill). Re-raises
        ``ChannelError``; any other exception from the transport becomes a
        ``ChannelError``."""
        started = time.monotonic()
        ok, code = False, ""
        try:
            result = func()
            ok = True
            return result
        except ChannelError as error:
            code = error.channel_code or error.code
            raise
        except (OSError, ValueError) as error:  # network, TLS, unreadable answer
            code = type(error).__name__
            raise ChannelError(channel_code=code) from error
        finally:
            if self._on_call is not None:
                elapsed = int((time.monotonic() - started) * 1000)
                self._on_call(self.channel, operation, ok, elapsed, code)

    # --- the interface ------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> dict[str, Any]:
        """Create the payment at the channel; return the client's pay parameters
        (WeChat JSAPI: appId/timeStamp/nonceStr/package/signType/paySign; Native: a
        code_url; Alipay: the signed order string or page URL; …)."""
        raise NotImplementedError

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes) -> Notice:
        """Verify and parse a payment notification. ``headers`` are the HTTP headers
        (case-insensitive mapping); ``body`` the raw bytes as received."""
        raise NotImplementedError

    def notify_answer(
        self, *, ok: bool, code: str = "", message: str = "", fields: dict | None = None
    ) -> NotifyAnswer:
        """The answer the channel expects: ok = received (stop retrying); otherwise
        the channel's failure form (``code``, ``fields``: our error, for the sandbox's
        body in the API's error shape; the real channels ignore them)."""
        raise NotImplementedError

    def query_payment(self, *, transaction_no: str) -> Notice:
        """Ask the channel about one of our transactions."""
        raise NotImplementedError

    def close_payment(self, *, transaction_no: str) -> None:
        """Close an unpaid transaction so it can no longer be paid."""
        raise NotImplementedError

    def refund(self, request: RefundRequest) -> RefundResult:
        """Ask for a refund; idempotent at the channel by ``refund_no``."""
        raise NotImplementedError

    def query_refund(self, *, refund_no: str, transaction_no: str) -> RefundResult:
        raise NotImplementedError

    def parse_refund_notify(self, *, headers: Mapping[str, str], body: bytes) -> RefundResult:
        """Verify and parse a refund notification (channels without one raise
        ``InvalidNotification``)."""
        raise NotImplementedError

    def download_bill(self, *, bill_date: date) -> bytes:
        """The channel's trade bill of ``bill_date`` as downloaded (reconciliation)."""
        raise NotImplementedError
