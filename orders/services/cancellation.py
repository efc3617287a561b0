"""Cancellation by stage (seed 004 §4.2.2) and the unpaid auto-cancel job.

What a cancellation gives back depends on how far the order got:

========================== ==========================================================
unpaid (``pending_payment``) the reserved stock (``allocation_release``), the locked
                             coupon (``coupon_release``), the points spent
                             (``points_refund``); the unpaid clock stops (cancelled)
paid, before review          the reserved stock, the points; the review clock stops;
(``paid``/``pending_review``) the refund request of the paid amount opens
after review (``approved``)  the same (sellable and ledger stock: the reservation is
                             given back through the ledger), the ship clock stops
after warehouse approval     the same, and the pending shipments are recalled from the
(``allocated``)              warehouse: each recall, and each waybill voided, is on the
                             order's timeline
presale, deposit paid       the reserved stock, the points; the deposit is forfeited
(``deposit_paid``)           (buyer's cancellation, missed final window: timeline +
                             audit, no refund) or refunded (staff, when
                             ``promotions.presale_refund_deposit_on_staff_cancel``)
shipped and later            refused: 409 ``order_not_cancellable`` (after-sales instead)
frozen                       refused: 409 ``order_frozen``
========================== ==========================================================

A paid order's coupon stays used (members has no "un-use"); the money comes back
through ``refund_request_open`` (executed by finance / the payments module).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor, system_actor
from ops.services.sla import sla_clock_stop

from ..exceptions import (
    InvalidOrderInput,
    OrderFrozen,
    OrderNotCancellable,
    OrderNotFound,
    OrdersPermissionDenied,
)
from ..models import Order
from ..permissions import CANCEL_ORDER
from ..selectors import order_get
from ..signals import order_freeze_changed
from .events import order_event_record, order_transition
from .refunds import refund_request_open

S = Order.Status
CANCELLABLE = (S.PENDING_PAYMENT, S.DEPOSIT_PAID, S.PAID, S.PENDING_REVIEW, S.APPROVED, S.ALLOCATED)
STAGES = {
    S.PENDING_PAYMENT: "unpaid",
    S.DEPOSIT_PAID: "deposit_paid",
    S.PAID: "before_review",
    S.PENDING_REVIEW: "before_review",
    S.APPROVED: "after_review",
    S.ALLOCATED: "after_warehouse_approval",
}
CLOCKS = ("order.unpaid", "order.review", "order.ship")


def _is_member(actor) -> bool:
    from members.models import Member

    return isinstance(actor, Member)


def _locked(actor, order: Order) -> Order:
    """Reload ``order`` locked, as ``actor`` may see it (member: own; staff: scope)."""
    if _is_member(actor):
        if not actor.is_active or order.member_id != actor.pk:
            raise OrderNotFound()
        found = Order.objects.select_for_update().filter(pk=order.pk, member_id=actor.pk).first()
        if found is None:
            raise OrderNotFound()
        return found
    if is_system_actor(actor):
        return Order.objects.select_for_update().get(pk=order.pk)
    # Staff: scope first (outside it is 404), then the function permission (403).
    found = order_get(actor=actor, order_no=order.order_no, lock=True)
    if not (actor.is_active and actor.is_staff and actor.has_perm(CANCEL_ORDER)):
        raise OrdersPermissionDenied()
    return found


def _stock_actor(actor):
    """Dispatch records a staff user on its rows: members act through the system actor."""
    return system_actor() if _is_member(actor) or actor is None else actor


def _cancel(actor, order: Order, *, reason: str, action: str, to: str = S.CANCELLED) -> Order:
    """Cancel a locked, cancellable ``order`` (checks done by the caller).

    ``to`` is ``closed`` when risk control closes an abusive order (``order_close``):
    the same give-backs, except that an unpaid order's coupon stays used.
    """
    from dispatch.models import Shipment
    from dispatch.services import allocation_release
    from members.services.coupons import coupon_release, coupon_use
    from members.services.points import points_refund

    from ..promotions.campaigns import campaign_budget_return
    from ..promotions.flash_orders import flash_release_for_order
    from ..promotions.presale import presale_deposit_forfeit, presale_deposit_kept

    stage = STAGES[order.status]
    now = timezone.now()
    reason = (reason or "").strip()[:200] or (
        _("Not paid in time") if action == "order.auto_cancel" else _("Cancelled")
    )
    # A deposit-paid presale: the deposit is forfeited or refunded (docs/PRESALE.md).
    forfeit = stage == "deposit_paid" and presale_deposit_kept(
        actor=actor, order=order, action=action
    )
    if forfeit:
        presale_deposit_forfeit(actor=actor, order=order, action=action)
    recalled = []
    if order.status == S.ALLOCATED:
        recalled = list(
            Shipment.objects.filter(order_no=order.order_no, status=Shipment.Status.PENDING)
            .select_related("warehouse")
            .order_by("pk")
        )
    allocation_release(actor=_stock_actor(actor), order_no=order.order_no, reason=reason)
    # Promotions get their units and budget back (a running session re-holds the units).
    if order.flash_session_id:
        flash_release_for_order(actor=actor, order=order)
    campaign_budget_return(actor=actor, order=order)
    for shipment in recalled:
        order_event_record(
            actor=actor,
            order=order,
            type="shipment_recalled",
            reason=_("Shipment recalled from the warehouse"),
            data={"shipment_no": shipment.shipment_no, "warehouse": shipment.warehouse.code},
        )
        if shipment.waybill_no:
            order_event_record(
                actor=actor,
                order=order,
                type="waybill_voided",
                reason=_("Waybill voided"),
                data={"shipment_no": shipment.shipment_no, "waybill_no": shipment.waybill_no},
            )
    for kind in CLOCKS:
        sla_clock_stop(actor=actor, kind=kind, subject=order, outcome="cancelled", at=now)
    if order.coupon_id and stage == "unpaid" and to == S.CANCELLED:
        coupon_release(
            actor=actor, member=order.member, coupon=order.coupon, order_no=order.order_no, now=now
        )
    elif order.coupon_id and stage == "unpaid":
        # an abusive order's coupon is spent, not handed back (nor left locked forever)
        coupon_use(actor=actor, member=order.member, coupon=order.coupon, order_no=order.order_no)
    if order.points_used:
        points_refund(
            actor=actor,
            member=order.member,
            spend_reference=order.order_no,
            reference=f"{order.order_no}-cancel",
        )
    moments = {"cancelled_at": now} if to == S.CANCELLED else {"closed_at": now}
    order_transition(
        actor=actor,
        order=order,
        to=to,
        action=action,
        reason=reason,
        data={"stage": stage, "deposit_forfeited": True} if forfeit else {"stage": stage},
        cancel_reason=reason,
        **moments,
    )
    if order.paid_amount > 0 and not forfeit:
        refund_request_open(
            actor=actor, order=order, amount=order.paid_amount - order.refunded_amount
        )
    return order


@transaction.atomic
def order_cancel(*, actor, order: Order, reason: str = "") -> Order:
    """Cancel ``order`` by stage (module docstring).

    ``actor``: the member (their own order, before shipping), staff with
    ``orders.cancel_order`` and the order in their data scope (outside it: 404), or the
    system actor. Cancelling a cancelled order again returns it unchanged. Raises 409
    ``order_frozen`` for a frozen order and ``order_not_cancellable`` once shipped.
    """
    order = _locked(actor, order)
    if order.status == S.CANCELLED:
        return order
    if order.is_frozen:
        raise OrderFrozen()
    if order.status not in CANCELLABLE:
        raise OrderNotCancellable()
    return _cancel(actor, order, reason=reason, action="order.cancel")


@transaction.atomic
def order_close(*, actor, order: Order, reason: str) -> Order:
    """Close an abusive order (risk control, seed 000 §二(二)6): 已关闭.

    ``actor`` is staff with ``orders.close_order`` and the order in their data scope
    (outside it: 404), or the system actor. Before shipping only (409
    ``order_not_cancellable`` after): it gives back what a cancellation at the same
    stage gives back — stock, flash units, campaign budget, points, the paid amount
    through a refund request — except an unpaid order's coupon, which stays used. A
    frozen order can be closed; its freeze flag is cleared with it (risk releases its
    freeze record in the same transaction). ``reason`` is required. Closing a closed
    order again returns it unchanged.
    """
    from ..permissions import CLOSE_ORDER

    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrderInput(fields={"reason": [_("Give a reason.")]})
    if is_system_actor(actor):
        order = Order.objects.select_for_update().get(pk=order.pk)
    else:
        order = order_get(actor=actor, order_no=order.order_no, lock=True)
        if not (actor.is_active and actor.is_staff and actor.has_perm(CLOSE_ORDER)):
            raise OrdersPermissionDenied()
    if order.status == S.CLOSED:
        return order
    if order.status not in CANCELLABLE:
        raise OrderNotCancellable()
    if order.is_frozen:
        order.is_frozen = False
        order.frozen_reason = ""
        order.save(update_fields=["is_frozen", "frozen_reason", "updated_at"])
        order_freeze_changed.send(
            sender=Order, order=order, frozen=False, actor=actor, reason=reason
        )
    return _cancel(actor, order, reason=reason, action="order.close", to=S.CLOSED)


def orders_cancel_unpaid_due(*, actor, now: datetime | None = None, batch_size: int = 500) -> int:
    """Cancel unpaid orders whose time to pay ran out; return how many were cancelled.

    Race-safe against a payment arriving at the same moment: each order is cancelled
    in its own transaction under its row lock, after checking again that it is still
    unpaid and due — whoever takes the lock first wins, the other sees the new state
    (a late payment for a cancelled order is refunded, ``services.payment``). Frozen
    orders are left for risk control.
    """
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=S.PENDING_PAYMENT, expires_at__lte=now, is_frozen=False)
        .order_by("expires_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    cancelled = 0
    for pk in due:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(pk=pk).first()
            if (
                order is None
                or order.status != S.PENDING_PAYMENT
                or order.is_frozen
                or order.expires_at is None
                or order.expires_at > now
            ):
                continue
            _cancel(actor, order, reason="", action="order.auto_cancel")
            cancelled += 1
    return cancelled
