"""After-sales refunds (售后退款): finance executes, the payments app pays, the case settles.

``after_sale_refund_execute`` books the refund on the order and its lines and hands the
money to the payments app (hook ``orders.refund_submit``); ``after_sale_refund_settle``
completes the case once the channel confirms. Split out of ``after_sales.py`` (which
re-exports both) along its "refund" section.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.hooks import providers
from mall.core.transitions import state_machine
from ops.services.sla import sla_clock_stop

from .. import permissions as perms
from ..exceptions import OrderFrozen, OrderStateConflict
from ..models import AfterSale, AfterSaleLine, Order, OrderLine, VirtualCode
from .after_sales import (
    REFUND_CLOCK,
    A,
    S,
    _locked_case,
    _require,
    _resolve,
)
from .events import after_sale_event_record, after_sale_transition, order_transition

# --- refund ---------------------------------------------------------------------------


def _points_take_back(*, actor, member, order: Order, reference: str, refunded: Decimal) -> int:
    """Take back the purchase points earned on the refunded part (as much as is left)."""
    from members.models import PointsEntry, PointsLot, PointsReason
    from members.services.points import points_spend

    earned = PointsEntry.objects.filter(
        member=member, reason=PointsReason.PURCHASE, reference=order.order_no
    ).first()
    if earned is None or earned.points <= 0 or order.paid_amount <= 0:
        return 0
    share = int(
        (Decimal(earned.points) * refunded / order.paid_amount).to_integral_value(
            rounding=ROUND_DOWN
        )
    )
    spendable = (
        PointsLot.objects.filter(
            member=member, remaining__gt=0, expires_at__gt=timezone.now()
        ).aggregate(total=Sum("remaining"))["total"]
        or 0
    )
    points = min(share, spendable)
    if points <= 0:
        return 0
    points_spend(
        actor=actor,
        member=member,
        reason=PointsReason.ADJUSTMENT,
        reference=reference,
        points=points,
        note=f"refund:{order.order_no}",
    )
    return points


def _void_codes(actor, rows: list[AfterSaleLine]) -> int:
    """Void up to the refunded number of unredeemed virtual codes of each line."""
    from mall.core.transitions import transition

    voided = 0
    for row in rows:
        if not row.order_line.is_virtual:
            continue
        codes = list(
            VirtualCode.objects.select_for_update()
            .filter(line_id=row.order_line_id, status=VirtualCode.Status.ISSUED)
            .order_by("id")[: row.quantity]
        )
        for code in codes:
            transition(code, VirtualCode.Status.VOIDED, actor=actor, action="virtual_code.void")
            voided += 1
    return voided


REFUND_SUBMIT_HOOK = "orders.refund_submit"


@transaction.atomic
def after_sale_refund_execute(*, actor, after_sale: AfterSale) -> AfterSale:
    """Execute the refund of a case in ``refunding`` (finance, ``orders.refund_aftersale``).

    Books ``approved − refunded`` onto the order and its lines (conditional updates —
    never above what was paid, also when two people press at once: the second finds
    the case sent or completed, 409), then hands the money to the payments app through
    the ``orders.refund_submit`` hook (``orders/hooks.py``):

    * ``"pending"`` — sent to the channel: the case stays ``refunding`` (marked
      ``refund_submitted_at``) until payments reports success through
      :func:`after_sale_refund_settle`;
    * ``"succeeded"`` (the money is back already: member balance) or ``"offline"`` (the
      order was not paid through our channels: a marketplace order, refunded there) —
      settled now.

    Without a provider (payments not installed) the refund is settled now. Refused
    while the order is frozen.
    """
    _require(actor, perms.REFUND_AFTER_SALE)
    from ..selectors import after_sale_get

    current = after_sale_get(actor=actor, case_no=after_sale.case_no)
    # Lock order first, then the case: the same order as cancellation's refund requests.
    order = Order.objects.select_for_update().get(pk=current.order_id)
    case = _locked_case(actor, current)
    if case.status != A.REFUNDING:
        raise OrderStateConflict(_("Only a refund waiting for execution can be executed."))
    if case.refund_submitted_at is not None:
        raise OrderStateConflict(
            _("The refund was sent already; it completes when the payment channel confirms.")
        )
    if order.is_frozen:
        raise OrderFrozen()
    amount = case.approved_amount - case.refunded_amount
    rows = list(case.lines.select_related("order_line").order_by("id"))
    now = timezone.now()
    if amount > 0:
        moved = Order.objects.filter(
            pk=order.pk, refunded_amount__lte=F("paid_amount") - amount
        ).update(refunded_amount=F("refunded_amount") + amount)
        if moved != 1:
            raise OrderStateConflict(_("The refund would exceed what was paid."))
        for row in rows:
            moved = OrderLine.objects.filter(
                pk=row.order_line_id,
                refunded_amount__lte=F("payable_amount") - row.amount,
                refunded_quantity__lte=F("quantity") - row.quantity,
            ).update(
                refunded_amount=F("refunded_amount") + row.amount,
                refunded_quantity=F("refunded_quantity") + row.quantity,
            )
            if moved != 1:
                raise OrderStateConflict(
                    _("The refund would exceed what was paid for %(sku)s.")
                    % {"sku": row.order_line.sku_code}
                )
    order.refresh_from_db(fields=["refunded_amount", "paid_amount", "status"])
    outcome = "offline"
    submit = providers(REFUND_SUBMIT_HOOK)
    if amount > 0 and submit:
        outcome = submit[0](actor=actor, order=order, after_sale=case, amount=amount)
    if outcome == "pending":
        case.refund_submitted_at = now
        case.handler = case.handler or actor
        case.save(update_fields=["refund_submitted_at", "handler", "updated_at"])
        after_sale_event_record(
            actor=actor,
            after_sale=case,
            type="refund_submitted",
            data={"amount": f"{amount:.2f}"},
        )
        audit(
            actor=actor,
            action="after_sale.refund_submit",
            target=case,
            after={"order_no": order.order_no, "amount": f"{amount:.2f}"},
        )
        return case
    _refund_settle(actor, order, case, amount, rows, now)
    return case


@transaction.atomic
def after_sale_refund_settle(*, actor, after_sale: AfterSale) -> AfterSale:
    """The payment channel confirmed the refund of a case sent by
    :func:`after_sale_refund_execute` (the payments app calls this; ``actor`` is the
    system actor or the person who retried it). Completes the case; idempotent (a
    completed case is returned unchanged). 409 for a case never sent."""
    _require(actor, perms.REFUND_AFTER_SALE)
    order = Order.objects.select_for_update().get(pk=after_sale.order_id)
    case = AfterSale.objects.select_for_update().get(pk=after_sale.pk)
    if case.status == A.COMPLETED:
        return case
    if case.status != A.REFUNDING or case.refund_submitted_at is None:
        raise OrderStateConflict(_("This refund was not sent to a payment channel."))
    amount = case.approved_amount - case.refunded_amount
    rows = list(case.lines.select_related("order_line").order_by("id"))
    order.refresh_from_db(fields=["refunded_amount", "paid_amount", "status"])
    _refund_settle(actor, order, case, amount, rows, timezone.now())
    return case


def _refund_settle(
    actor, order: Order, case: AfterSale, amount: Decimal, rows: list[AfterSaleLine], now
) -> None:
    """The money is back: complete the case and undo what the refunded part earned."""
    after_sale_event_record(
        actor=actor, after_sale=case, type="refund", data={"amount": f"{amount:.2f}"}
    )
    audit(
        actor=actor,
        action="after_sale.refund",
        target=case,
        after={"order_no": order.order_no, "amount": f"{amount:.2f}"},
    )
    after_sale_transition(
        actor=actor,
        after_sale=case,
        to=A.COMPLETED,
        action="after_sale.complete",
        refunded_amount=case.approved_amount,
        refunded_at=now,
        completed_at=now,
        handler=case.handler or actor,
    )
    sla_clock_stop(kind=REFUND_CLOCK, subject=case, actor=actor, outcome="met")
    _resolve(actor, case)
    if amount > 0:
        from members.services.growth import growth_rollback_purchase

        growth_rollback_purchase(
            actor=actor,
            member=order.member,
            order_no=order.order_no,
            reference=case.case_no,
            refunded_amount=amount,
        )
        _points_take_back(
            actor=actor,
            member=order.member,
            order=order,
            reference=f"refund:{case.case_no}",
            refunded=amount,
        )
    _void_codes(actor, rows)
    if (
        order.paid_amount > 0
        and order.refunded_amount >= order.paid_amount
        and order.status in (S.SHIPPED, S.DELIVERED, S.COMPLETED)
        and state_machine(Order).allows(order.status, S.CLOSED)
    ):
        # completed → closed is not in the order table (yet): a completed order keeps
        # its status and shows refunded == paid.
        order_transition(
            actor=actor,
            order=order,
            to=S.CLOSED,
            action="order.close",
            reason=_("Fully refunded (%(no)s)") % {"no": case.case_no},
            closed_at=now,
        )
