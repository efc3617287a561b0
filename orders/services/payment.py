"""Paying an order: what orders decides; the payments app collects the money.

The payments app (DESIGN.md §3: it sits to the right of orders) serves the pay endpoint
and the channels' callbacks. It asks orders through these services:

* ``order_amount_due`` — what the next payment of an order must be (a presale: the
  deposit, then the rest);
* ``order_pay_check`` — may this member pay this order now? (locked, own, unpaid, not
  expired, not frozen; a deposit-paid presale inside its final-payment window);
* ``order_mark_paid`` — the money arrived: ``pending_payment → paid → pending_review``
  (the unpaid clock stops, the coupon is used, the review clock starts); a presale's
  deposit moves it ``pending_payment → deposit_paid`` (the unpaid clock stops, the
  coupon is used), its final payment ``deposit_paid → paid → pending_review``;
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


def order_amount_due(*, actor=None, order: Order) -> Decimal:
    """What the next payment of ``order`` must be: the payable amount of an unpaid
    order; for a presale the deposit first, then ``total − deposit`` once the deposit is
    paid; zero for an order not waiting for money. A pure read of the order (``actor``
    is not needed: the callers checked who asks)."""
    if order.status == Order.Status.PENDING_PAYMENT:
        return order.deposit_amount if order.is_presale else order.total_amount
    if order.status == Order.Status.DEPOSIT_PAID:
        return to_money(order.total_amount - order.deposit_amount)
    return Decimal("0.00")


@transaction.atomic
def order_pay_check(*, actor, order: Order) -> Order:
    """Lock and return ``order`` when ``actor`` (a member) may pay it now.

    Raises 403 for a non-member, 404 for another member's order, 409 ``order_frozen``,
    409 ``invalid_state`` when it is not waiting for payment or its time ran out. A
    deposit-paid presale may be paid inside its final-payment window only (409
    ``invalid_state`` saying when the window opens or that it has closed). Called by
    the payments app inside its own transaction (the lock holds until it commits).
    """
    from members.models import Member

    if not isinstance(actor, Member) or not actor.is_active:
        raise OrdersPermissionDenied()
    order = _own_order(actor, order)
    if order.is_frozen:
        raise OrderFrozen()
    if order.status == Order.Status.DEPOSIT_PAID and order.is_presale:
        _check_final_window(order)
        return order
    if order.status != Order.Status.PENDING_PAYMENT:
        raise OrderStateConflict(_("The order is not waiting for payment."))
    if order.expires_at is not None and order.expires_at <= timezone.now():
        raise OrderStateConflict(_("The time to pay this order has run out."))
    return order


def _check_final_window(order: Order) -> None:
    now = timezone.now()
    starts, ends = order.final_payment_starts_at, order.final_payment_ends_at
    if starts is not None and now < starts:
        raise OrderStateConflict(
            _("The final payment opens at %(start)s.")
            % {"start": timezone.localtime(starts).strftime("%Y-%m-%d %H:%M")},
            extra={"final_payment_starts_at": starts.isoformat()},
        )
    if ends is None or now >= ends:
        raise OrderStateConflict(
            _("The final payment window has closed: the deposit is forfeited."),
            extra={"final_payment_ends_at": ends.isoformat() if ends else None},
        )


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
    ``amount`` must equal the amount due (``order_amount_due``; 400
    ``amount_mismatch``). A presale's deposit moves it to ``deposit_paid`` only
    (``_deposit_paid``); its final payment completes it as below, ``paid_amount`` then
    being the whole total. Stops the
    ``order.unpaid`` clock (met), uses the locked coupon, starts the ``order.review``
    clock and flags orders paying at least ``orders.second_review_amount`` for a second
    reviewer. 409 ``invalid_state`` for an order in any other state.
    """
    from members.services.coupons import coupon_use

    amount = to_money(amount)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.paid_at is not None and order.payment_no == payment_no:
        return order
    if order.is_presale and order.deposit_payment_no and order.deposit_payment_no == payment_no:
        return order
    if order.status not in (Order.Status.PENDING_PAYMENT, Order.Status.DEPOSIT_PAID) or (
        order.status == Order.Status.DEPOSIT_PAID and not order.is_presale
    ):
        raise OrderStateConflict(_("The order is not waiting for payment."))
    due = order_amount_due(order=order)
    if amount != due:
        raise PaymentAmountMismatch(extra={"expected": f"{due:.2f}", "reported": f"{amount:.2f}"})
    paid_at = paid_at or timezone.now()
    facts = {"transaction_no": payment_no, "channel": channel, "amount": f"{amount:.2f}"}
    if order.is_presale and order.status == Order.Status.PENDING_PAYMENT:
        return _deposit_paid(actor, order, facts, paid_at=paid_at)
    final = order.status == Order.Status.DEPOSIT_PAID
    if final:
        facts["deposit_payment_no"] = order.deposit_payment_no
        facts["deposit_amount"] = f"{order.deposit_amount:.2f}"
    order_transition(
        actor=actor,
        order=order,
        to=Order.Status.PAID,
        action="order.pay",
        data=facts,
        paid_amount=order.total_amount if final else amount,
        paid_at=paid_at,
        payment_no=payment_no,
        payment_channel=channel,
    )
    if not final:  # a presale's unpaid clock stopped with its deposit
        sla_clock_stop(actor=actor, kind="order.unpaid", subject=order, outcome="met", at=paid_at)
        if order.coupon_id:
            coupon_use(
                actor=actor, member=order.member, coupon=order.coupon, order_no=order.order_no
            )
    second = order.total_amount >= Decimal(get_parameter(SECOND_REVIEW_AMOUNT))
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


def _deposit_paid(actor, order: Order, facts: dict, *, paid_at) -> Order:
    """A presale's deposit arrived: ``pending_payment → deposit_paid``."""
    from members.services.coupons import coupon_use

    facts = {
        **facts,
        "final_payment_starts_at": order.final_payment_starts_at.isoformat()
        if order.final_payment_starts_at
        else None,
        "final_payment_ends_at": order.final_payment_ends_at.isoformat()
        if order.final_payment_ends_at
        else None,
    }
    order_transition(
        actor=actor,
        order=order,
        to=Order.Status.DEPOSIT_PAID,
        action="order.pay_deposit",
        data=facts,
        paid_amount=order.deposit_amount,
        deposit_paid_at=paid_at,
        deposit_payment_no=facts["transaction_no"],
        payment_channel=facts["channel"],
    )
    sla_clock_stop(actor=actor, kind="order.unpaid", subject=order, outcome="met", at=paid_at)
    if order.coupon_id:
        coupon_use(actor=actor, member=order.member, coupon=order.coupon, order_no=order.order_no)
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
    """Money arrived for ``order``, cancelled (or closed by risk control) meanwhile:
    record it, open its refund.

    Returns the refund request (an ``AfterSale`` in ``refunding``) for the payments app
    to execute; idempotent per ``payment_no`` (a second call returns ``None``).
    Raises 409 ``invalid_state`` for an order that is not cancelled.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Order.Status.CANCELLED, Order.Status.CLOSED):
        raise OrderStateConflict(_("Only a cancelled order can receive a late payment."))
    if order.paid_at is not None:
        return None
    amount = to_money(amount)
    if order.deposit_payment_no and order.deposit_payment_no == payment_no:
        return None
    facts = {
        "transaction_no": payment_no,
        "channel_trade_no": channel_trade_no,
        "channel": channel,
        "amount": f"{amount:.2f}",
    }
    before = {"paid_amount": f"{order.paid_amount:.2f}", "paid_at": None}
    # A presale's deposit stays on the order (forfeited or refunded by the cancellation).
    order.paid_amount = order.paid_amount + amount if order.deposit_payment_no else amount
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
        amount=amount,
        description=_("Payment arrived after the order was cancelled."),
    )
