"""Paying an order: what orders decides; the payments app collects the money.

The payments app (DESIGN.md §3: it sits to the right of orders) serves the pay endpoint
and the channels' callbacks. It asks orders through these services:

* ``order_pay_check`` — may this member pay this order now? (locked, own, unpaid, not
  expired, not frozen);
* ``order_mark_paid`` — the money arrived: ``pending_payment → paid → pending_review``
  (the unpaid clock stops, the coupon is used, the review clock starts);
* ``order_record_late_payment`` — money arrived for an order cancelled meanwhile (the
  unpaid timeout won the race): record it and open its refund request, which payments
  executes at once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status

from mall.core.audit import audit
from mall.core.exceptions import ApplicationError
from mall.core.money import to_money
from ops.parameters import get_parameter
from ops.services.sla import sla_clock_start, sla_clock_stop

from ..exceptions import (
    OrderFrozen,
    OrderNotFound,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from ..models import Order
from ..parameters import SECOND_REVIEW_AMOUNT
from .events import order_event_record, order_transition
from .refunds import refund_request_open


class PaymentAmountMismatch(ApplicationError):
    code = "amount_mismatch"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = gettext_lazy("The paid amount does not match the order.")


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
def order_pay_check(*, actor, order: Order) -> Order:
    """Lock and return ``order`` when ``actor`` (a member) may pay it now.

    Raises 403 for a non-member, 404 for another member's order, 409 ``order_frozen``,
    409 ``invalid_state`` when it is not waiting for payment or its time ran out.
    Called by the payments app inside its own transaction (the lock holds until it
    commits).
    """
    from members.models import Member

    if not isinstance(actor, Member) or not actor.is_active:
        raise OrdersPermissionDenied()
    order = _own_order(actor, order)
    if order.is_frozen:
        raise OrderFrozen()
    if order.status != Order.Status.PENDING_PAYMENT:
        raise OrderStateConflict(_("The order is not waiting for payment."))
    if order.expires_at is not None and order.expires_at <= timezone.now():
        raise OrderStateConflict(_("The time to pay this order has run out."))
    return order


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


@transaction.atomic
def order_record_late_payment(
    *,
    actor,
    order: Order,
    amount,
    payment_no: str,
    channel: str,
    channel_trade_no: str = "",
    paid_at: datetime | None = None,
):
    """Money arrived for ``order``, cancelled meanwhile: record it, open its refund.

    Returns the refund request (an ``AfterSale`` in ``refunding``) for the payments app
    to execute; idempotent per ``payment_no`` (a second call returns ``None``).
    Raises 409 ``invalid_state`` for an order that is not cancelled.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.CANCELLED:
        raise OrderStateConflict(_("Only a cancelled order can receive a late payment."))
    if order.paid_at is not None:
        return None
    amount = to_money(amount)
    facts = {
        "transaction_no": payment_no,
        "channel_trade_no": channel_trade_no,
        "channel": channel,
        "amount": f"{amount:.2f}",
    }
    before = {"paid_amount": f"{order.paid_amount:.2f}", "paid_at": None}
    order.paid_amount = amount
    order.paid_at = paid_at or timezone.now()
    order.payment_no = payment_no
    order.payment_channel = channel
    order.save(
        update_fields=["paid_amount", "paid_at", "payment_no", "payment_channel", "updated_at"]
    )
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
    return refund_request_open(
        actor=actor,
        order=order,
        amount=order.paid_amount,
        description=_("Payment arrived after the order was cancelled."),
    )
