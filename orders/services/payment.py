"""Paying an order — the sandbox channel until the payments app lands (issue 13).

``order_pay_start`` gives the storefront a transaction number (``PT…``, kept on the
order as ``payment_no``; starting again answers the same number). The sandbox
channel's callback (``payment_notify_sandbox``) is verified (HMAC-SHA256 of the raw
body with ``settings.PAYMENT_SANDBOX_SECRET``, constant-time compare), matched to the
order by that number, checked for the amount, and applied once through
``order_mark_paid``: ``pending_payment → paid → pending_review``, the unpaid clock
stops, the coupon is used, the review clock starts. A payment that arrives for an
order already cancelled (the unpaid timeout won the race) is recorded and refunded
through a refund request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status

from mall.core.audit import audit
from mall.core.exceptions import ApplicationError
from mall.core.money import to_money
from ops.parameters import get_parameter
from ops.services.sla import sla_clock_start, sla_clock_stop

from ..exceptions import (
    InvalidOrderInput,
    OrderFrozen,
    OrderNotFound,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from ..models import Order
from ..numbers import new_number
from ..parameters import SECOND_REVIEW_AMOUNT
from .events import order_event_record, order_transition
from .refunds import refund_request_open

SANDBOX = "sandbox"
COMING_CHANNELS = ("wechat", "alipay", "unionpay", "balance")
NOTIFY_PATH = "/api/v1/payments/notify/sandbox/"


class PaymentChannelUnavailable(ApplicationError):
    code = "channel_unavailable"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = gettext_lazy(
        "This payment channel is not available yet: it comes with the payments module."
    )


class InvalidSignature(ApplicationError):
    code = "invalid_signature"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = gettext_lazy("The notification's signature is not valid.")


class PaymentAmountMismatch(ApplicationError):
    code = "amount_mismatch"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = gettext_lazy("The paid amount does not match the order.")


class UnknownTransaction(ApplicationError):
    code = "unknown_transaction"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = gettext_lazy("No order has this transaction number.")


def _own_order(actor, order: Order, *, lock: bool = True) -> Order:
    """Reload ``order`` (locked) when ``actor`` is its member; 404 otherwise."""
    from members.models import Member

    if not isinstance(actor, Member) or order.member_id != actor.pk:
        raise OrderNotFound()
    queryset = Order.objects.filter(pk=order.pk, member_id=actor.pk)
    if lock:
        queryset = queryset.select_for_update()
    found = queryset.first()
    if found is None:
        raise OrderNotFound()
    return found


@transaction.atomic
def order_pay_start(*, actor, order: Order, channel: str = SANDBOX) -> dict:
    """Start paying ``order`` (the member's own, unpaid and not expired).

    Answers ``{"transaction_no", "channel", "amount", "pay_params"}``; starting again
    answers the same transaction number. Only the sandbox channel works until the
    payments module lands (others: 400 ``channel_unavailable``). Raises 404 for
    another member's order, 409 ``invalid_state`` when it is not waiting for payment
    or its time ran out, 409 ``order_frozen``.
    """
    from members.models import Member

    if not isinstance(actor, Member) or not actor.is_active:
        raise OrdersPermissionDenied()
    if channel in COMING_CHANNELS:
        raise PaymentChannelUnavailable(
            fields={"channel": [str(PaymentChannelUnavailable.default_message)]}
        )
    if channel != SANDBOX:
        raise InvalidOrderInput(fields={"channel": [_("Unknown payment channel.")]})
    order = _own_order(actor, order)
    if order.is_frozen:
        raise OrderFrozen()
    if order.status != Order.Status.PENDING_PAYMENT:
        raise OrderStateConflict(_("The order is not waiting for payment."))
    if order.expires_at is not None and order.expires_at <= timezone.now():
        raise OrderStateConflict(_("The time to pay this order has run out."))
    if not order.payment_no:
        order.payment_no = new_number("PT")
        order.payment_channel = channel
        order.save(update_fields=["payment_no", "payment_channel", "updated_at"])
        order_event_record(
            actor=actor,
            order=order,
            type="pay_start",
            data={"transaction_no": order.payment_no, "channel": channel},
        )
        audit(
            actor=actor,
            action="order.pay_start",
            target=order,
            after={"payment_no": order.payment_no, "payment_channel": channel},
        )
    return {
        "transaction_no": order.payment_no,
        "channel": order.payment_channel,
        "amount": f"{order.total_amount:.2f}",
        "pay_params": {
            "sandbox": True,
            "notify_url": NOTIFY_PATH,
            "sign_type": "HMAC-SHA256",
            "expires_at": order.expires_at.isoformat() if order.expires_at else None,
        },
    }


@transaction.atomic
def order_mark_paid(
    *,
    actor,
    order: Order,
    amount,
    payment_no: str,
    channel: str,
    paid_at: datetime | None = None,
) -> Order:
    """Record the payment of ``order``: ``pending_payment → paid → pending_review``.

    Idempotent per ``payment_no``: an order already paid by it is returned unchanged.
    ``amount`` must equal the payable amount (400 ``amount_mismatch``). Stops the
    ``order.unpaid`` clock (met), uses the locked coupon, starts the ``order.review``
    clock and flags orders paying at least ``orders.second_review_amount`` for a second
    reviewer. 409 ``invalid_state`` for an order in any other state.
    """
    from members.services.coupons import coupon_use

    amount = to_money(amount)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.paid_at is not None and order.payment_no == payment_no:
        return order
    if order.status != Order.Status.PENDING_PAYMENT:
        raise OrderStateConflict(_("The order is not waiting for payment."))
    if amount != order.total_amount:
        raise PaymentAmountMismatch(
            extra={"expected": f"{order.total_amount:.2f}", "reported": f"{amount:.2f}"}
        )
    paid_at = paid_at or timezone.now()
    facts = {"transaction_no": payment_no, "channel": channel, "amount": f"{amount:.2f}"}
    order_transition(
        actor=actor,
        order=order,
        to=Order.Status.PAID,
        action="order.pay",
        data=facts,
        paid_amount=amount,
        paid_at=paid_at,
        payment_no=payment_no,
        payment_channel=channel,
    )
    sla_clock_stop(actor=actor, kind="order.unpaid", subject=order, outcome="met", at=paid_at)
    if order.coupon_id:
        coupon_use(actor=actor, member=order.member, coupon=order.coupon, order_no=order.order_no)
    second = amount >= Decimal(get_parameter(SECOND_REVIEW_AMOUNT))
    order_transition(
        actor=actor,
        order=order,
        to=Order.Status.PENDING_REVIEW,
        action="order.submit_review",
        data={"needs_second_review": second},
        needs_second_review=second,
    )
    sla_clock_start(actor=actor, kind="order.review", subject=order, region=order.region_id)
    return order


def _verify(body: bytes, signature: str) -> None:
    secret = settings.PAYMENT_SANDBOX_SECRET
    if not secret or not isinstance(signature, str) or not signature:
        raise InvalidSignature()
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise InvalidSignature()


def _parse(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidOrderInput(_("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidOrderInput(_("The body is not a JSON object."))
    problems: dict[str, list[str]] = {}
    for name in ("transaction_no", "channel_trade_no"):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            problems[name] = [_("This field is required.")]
    try:
        raw = data.get("amount")
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise InvalidOperation
        amount = Decimal(str(raw))
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems["amount"] = [_("Give the amount as a string with two decimals.")]
        amount = None
    if data.get("status") not in ("SUCCESS", "FAILED"):
        problems["status"] = [_("SUCCESS or FAILED.")]
    paid_at = None
    if data.get("paid_at") not in (None, ""):
        paid_at = parse_datetime(str(data["paid_at"])) if isinstance(data["paid_at"], str) else None
        if paid_at is None or timezone.is_naive(paid_at):
            problems["paid_at"] = [_("Give a time with time zone.")]
    if problems:
        raise InvalidOrderInput(fields=problems)
    return {
        "transaction_no": data["transaction_no"].strip(),
        "channel_trade_no": data["channel_trade_no"].strip(),
        "amount": to_money(amount),
        "status": data["status"],
        "paid_at": paid_at,
    }


@transaction.atomic
def payment_notify_sandbox(*, actor, body: bytes, signature: str) -> dict:
    """Apply the sandbox channel's notification (``actor`` is the system actor).

    401 ``invalid_signature``; 400 for a bad body, an unknown transaction or an amount
    that is not the order's payable amount — each changing nothing. Answers
    ``{"code": "SUCCESS"}`` when applied or already applied (idempotent per
    transaction number). A success for an order cancelled meanwhile records the money
    and opens its refund request.
    """
    _verify(body, signature)
    notice = _parse(body)
    order = (
        Order.objects.select_for_update()
        .filter(payment_no=notice["transaction_no"], payment_channel=SANDBOX)
        .first()
    )
    if order is None:
        raise UnknownTransaction(
            fields={"transaction_no": [str(UnknownTransaction.default_message)]}
        )
    facts = {
        "transaction_no": notice["transaction_no"],
        "channel_trade_no": notice["channel_trade_no"],
        "amount": f"{notice['amount']:.2f}",
    }
    if notice["amount"] != order.total_amount:
        raise PaymentAmountMismatch(
            extra={"expected": f"{order.total_amount:.2f}", "reported": facts["amount"]}
        )
    if order.paid_at is not None:  # applied before: the channel repeats itself
        return {"code": "SUCCESS"}
    if notice["status"] == "FAILED":
        order_event_record(actor=actor, order=order, type="payment_failed", data=facts)
        audit(actor=actor, action="order.payment_failed", target=order, data=facts)
        return {"code": "SUCCESS"}
    if order.status == Order.Status.CANCELLED:
        _refund_late_payment(actor, order, notice, facts)
        return {"code": "SUCCESS"}
    order_mark_paid(
        actor=actor,
        order=order,
        amount=notice["amount"],
        payment_no=notice["transaction_no"],
        channel=SANDBOX,
        paid_at=notice["paid_at"],
    )
    return {"code": "SUCCESS"}


def _refund_late_payment(actor, order: Order, notice: dict, facts: dict) -> None:
    """Money arrived for a cancelled order: record it, then give it back."""
    before = {"paid_amount": f"{order.paid_amount:.2f}", "paid_at": None}
    order.paid_amount = notice["amount"]
    order.paid_at = notice["paid_at"] or timezone.now()
    order.save(update_fields=["paid_amount", "paid_at", "updated_at"])
    order_event_record(
        actor=actor,
        order=order,
        type="paid_after_cancel",
        reason=_("Payment arrived after the order was cancelled; refund opened."),
        data=facts,
    )
    audit(
        actor=actor,
        action="order.paid_after_cancel",
        target=order,
        before=before,
        after={"paid_amount": facts["amount"], "paid_at": order.paid_at.isoformat()},
        data=facts,
    )
    refund_request_open(
        actor=actor,
        order=order,
        amount=order.paid_amount,
        description=_("Payment arrived after the order was cancelled."),
    )
