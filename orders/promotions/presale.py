"""Presale (预售): a deposit now, the rest in the final-payment window.

Owned by the presale work (docs/PRESALE.md). ``order_place`` asks ``presale_terms`` for
the cart and writes ``presale_order_fields`` onto the order; payments asks
``orders.services.payment.order_amount_due``; cancellation asks
``presale_deposit_kept`` whether a cancelled deposit is forfeited; the job
``presales_cancel_missed_due`` cancels deposit-paid presales whose final window ended
(never a frozen one); releasing a frozen deposit-paid presale
(``orders.services.review.order_unfreeze``) calls ``presale_window_extend_after_freeze``,
which gives the buyer back the final-window time the freeze took.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.money import to_money
from ops.parameters import get_parameter

from ..exceptions import InvalidOrderInput
from ..parameters import PRESALE_DEPOSIT_REFUND_ON_MERCHANT_CANCEL

MISSED_WINDOW_ACTION = "order.presale_missed"
WINDOW_EXTEND_ACTION = "order.presale_window_extend"


@dataclass(frozen=True)
class PresaleTerms:
    """What a presale cart owes: the deposit now, the rest in the final window."""

    product: object
    deposit_amount: Decimal
    final_payment_starts_at: datetime
    final_payment_ends_at: datetime
    ship_date: date


def _refuse(message: str):
    raise InvalidOrderInput(fields={"lines": [message]})


def presale_terms(*, lines, quote) -> PresaleTerms | None:
    """``None`` for an ordinary cart; the presale terms of a presale product's cart.

    ``lines`` are the cart's ``(sku, quantity)`` pairs. A cart with a presale product
    holds only that product's SKUs; the deposit is the product's deposit × the units
    and must stay below the payable amount; the final window must not have ended.
    400 ``invalid`` (field ``lines``) otherwise.
    """
    products = {sku.product_id: sku.product for sku, _quantity in lines}
    presales = [product for product in products.values() if product.is_presale]
    if not presales:
        return None
    if len(products) > 1:
        _refuse(_("A presale product is ordered on its own: remove the other products."))
    product = presales[0]
    unit = product.presale_deposit_amount
    starts = product.presale_final_payment_starts_at
    ends = product.presale_final_payment_ends_at
    if unit is None or unit <= 0 or starts is None or ends is None or not product.presale_ship_date:
        _refuse(_("This presale is not set up completely; it cannot be ordered."))
    if ends <= timezone.now():
        _refuse(_("This presale is over: its final payment window has ended."))
    units = sum(quantity for _sku, quantity in lines)
    deposit = to_money(unit * units)
    if deposit >= quote.total_amount:
        _refuse(_("The deposit must be below the amount payable."))
    return PresaleTerms(
        product=product,
        deposit_amount=deposit,
        final_payment_starts_at=starts,
        final_payment_ends_at=ends,
        ship_date=product.presale_ship_date,
    )


def presale_order_fields(*, terms: PresaleTerms) -> dict:
    """The ``Order`` fields of a presale (deposit, windows, ship date)."""
    return {
        "is_presale": True,
        "deposit_amount": terms.deposit_amount,
        "final_payment_starts_at": terms.final_payment_starts_at,
        "final_payment_ends_at": terms.final_payment_ends_at,
        "presale_ship_date": terms.ship_date,
    }


def presale_final_window_open(*, order, now: datetime | None = None) -> bool:
    """Whether the rest of a deposit-paid presale may be paid now."""
    now = now or timezone.now()
    return bool(
        order.final_payment_starts_at
        and order.final_payment_ends_at
        and order.final_payment_starts_at <= now < order.final_payment_ends_at
    )


def presale_ship_clock_start(*, order, approved_at: datetime) -> datetime:
    """When the ``order.ship`` clock of ``order`` starts: at approval, or for a presale
    at the later of approval and the start of its ship date (local time)."""
    if not order.is_presale or order.presale_ship_date is None:
        return approved_at
    ship_day = timezone.make_aware(datetime.combine(order.presale_ship_date, time.min))
    return max(approved_at, ship_day)


def presale_deposit_kept(*, actor, order, action: str) -> bool:
    """Whether cancelling the deposit-paid presale ``order`` forfeits its deposit.

    The buyer's cancellation and the missed final window forfeit it; staff (or the
    system for any other reason) refund it when
    ``promotions.presale_refund_deposit_on_staff_cancel`` is on.
    """
    from members.models import Member

    if isinstance(actor, Member) or action == MISSED_WINDOW_ACTION:
        return True
    return not bool(get_parameter(PRESALE_DEPOSIT_REFUND_ON_MERCHANT_CANCEL))


def presale_deposit_forfeit(*, actor, order, action: str) -> None:
    """Record on the timeline and in the audit log that ``order``'s deposit is kept
    (called by cancellation, in its transaction, before the status changes)."""
    from mall.core.audit import audit

    from ..services.events import order_event_record

    facts = {
        "deposit_amount": f"{order.deposit_amount:.2f}",
        "deposit_payment_no": order.deposit_payment_no,
        "cause": "missed_window" if action == MISSED_WINDOW_ACTION else "cancelled",
        "by_system": is_system_actor(actor),
    }
    reason = (
        _("Final payment not made in its window: the deposit is forfeited.")
        if action == MISSED_WINDOW_ACTION
        else _("Presale cancelled after the deposit: the deposit is forfeited.")
    )
    order_event_record(actor=actor, order=order, type="presale_forfeit", reason=reason, data=facts)
    audit(actor=actor, action="order.presale_forfeit", target=order, data=facts)


def presale_window_extend_after_freeze(
    *, actor, order, now: datetime | None = None
) -> datetime | None:
    """Give a deposit-paid presale back the final-window time a freeze took from it.

    Called by ``order_unfreeze`` in its transaction, the order locked and just
    released. A frozen order cannot be paid (``order_pay_check``), so the buyer gets
    again the open-window time that was left when the freeze began (its latest
    ``freeze`` timeline step): the window now ends that long after the later of now
    and its start. A freeze wholly before the window, or begun after it had ended,
    changes nothing. Timeline (``presale_window_extend``) and audit; returns the new
    end, or ``None`` when nothing changed.
    """
    from mall.core.audit import audit, snapshot

    from ..models import Order, OrderEvent
    from ..services.events import order_event_record

    starts, ends = order.final_payment_starts_at, order.final_payment_ends_at
    if (
        not order.is_presale
        or order.is_frozen
        or order.status != Order.Status.DEPOSIT_PAID
        or starts is None
        or ends is None
    ):
        return None
    freeze = OrderEvent.objects.filter(order=order, type="freeze").order_by("-at", "-id").first()
    if freeze is None:
        return None
    now = now or timezone.now()
    left = ends - max(freeze.at, starts)  # open-window time the buyer still had
    if left <= timedelta(0):
        return None
    new_ends = max(now, starts) + left
    if new_ends <= ends:
        return None
    before = snapshot(order, ["final_payment_ends_at"])
    order.final_payment_ends_at = new_ends
    order.save(update_fields=["final_payment_ends_at", "updated_at"])
    facts = {
        "frozen_at": freeze.at.isoformat(),
        "released_at": now.isoformat(),
        "final_payment_ends_at_before": ends.isoformat(),
        "final_payment_ends_at": new_ends.isoformat(),
        "extended_seconds": int((new_ends - ends).total_seconds()),
    }
    order_event_record(
        actor=actor,
        order=order,
        type=WINDOW_EXTEND_ACTION.removeprefix("order."),
        reason=_("Final payment window extended by the time the order was frozen."),
        data=facts,
    )
    audit(
        actor=actor,
        action=WINDOW_EXTEND_ACTION,
        target=order,
        before=before,
        after=snapshot(order, ["final_payment_ends_at"]),
        data=facts,
    )
    return new_ends


def _notify_missed(order) -> None:
    from members.models import NotificationChannel, NotificationKind
    from members.services.notifications import notification_enqueue

    notification_enqueue(
        actor=None,
        member=order.member,
        kind=NotificationKind.ORDER,
        channel=NotificationChannel.IN_APP,
        payload={
            "template": "presale_missed",
            "order_no": order.order_no,
            "deposit_amount": f"{order.deposit_amount:.2f}",
        },
        dedupe_key=f"presale_missed:{order.order_no}",
    )


def presales_cancel_missed_due(*, actor, now: datetime | None = None, batch_size: int = 500) -> int:
    """Cancel deposit-paid presales whose final window has ended; return how many.

    Each order in its own transaction under its row lock, checked again (a final
    payment that took the lock first wins). The deposit is forfeited (timeline,
    audit), the stock released, and the member told through the outbox. A frozen
    order is never cancelled here (the buyer could not pay): it is left for risk
    control, and releasing it extends its window (``presale_window_extend_after_freeze``).
    """
    from ..models import Order
    from ..services.cancellation import _cancel

    now = now or timezone.now()
    due = list(
        Order.objects.filter(
            status=Order.Status.DEPOSIT_PAID,
            is_presale=True,
            final_payment_ends_at__lte=now,
            is_frozen=False,
        )
        .order_by("final_payment_ends_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    cancelled = 0
    for pk in due:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(pk=pk).first()
            if (
                order is None
                or order.status != Order.Status.DEPOSIT_PAID
                or order.is_frozen
                or order.final_payment_ends_at is None
                or order.final_payment_ends_at > now
            ):
                continue
            _cancel(
                actor,
                order,
                reason=_("Final payment not made in time"),
                action=MISSED_WINDOW_ACTION,
            )
            _notify_missed(order)
            cancelled += 1
    return cancelled
