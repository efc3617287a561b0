"""Order review (10-minute clock, second reviewer), warehouse approval, freeze.

* ``order_approve`` runs the review checks (address complete and deliverable,
  contact phone, stock allocated, paid, not frozen, risk verdict at the kernel's
  ``order.review`` point). A failed check **holds** the order (``order_reject``
  semantics: ``is_review_held`` + the problem, customer service notified) and the
  order is returned still ``pending_review`` — the caller reads ``is_review_held``.
  An order with ``needs_second_review`` needs two different reviewers: the first
  approval records ``first_reviewed_by`` and notifies the holders of
  ``orders.approve_order``; the second (that permission, another person) approves.
* Approval stops the ``order.review`` clock (met) and starts ``order.ship`` (48 h
  inside a promotion period). A virtual order is issued its codes and shipped at
  once when ``orders.virtual_auto_ship`` is on.
* ``order_freeze`` / ``order_unfreeze`` (risk calls them): frozen orders cannot be
  approved, shipped, received or refunded (``OrderFrozen``).

The helpers ``_require`` and ``_order_locked``
are shared by the other fulfilment services.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit, snapshot
from mall.core.exceptions import ApplicationError
from mall.core.guard import guard
from ops.parameters import get_parameter
from ops.services.notifications import notifications_resolve, staff_notify_holders
from ops.services.sla import sla_clock_start, sla_clock_stop

from .. import permissions as perms
from ..exceptions import (
    InvalidOrderInput,
    OrderFrozen,
    OrdersPermissionDenied,
    OrderStateConflict,
)
from ..models import Order
from ..parameters import VIRTUAL_AUTO_SHIP
from ..selectors import order_get
from ..signals import order_freeze_changed
from .events import order_event_record, order_transition

S = Order.Status
FINAL_STATUSES = (S.COMPLETED, S.CANCELLED, S.CLOSED)
REVIEW_FAILED_KIND = "orders.review_failed"
SECOND_REVIEW_KIND = "orders.second_review"


# --- shared helpers ------------------------------------------------------------------------


def _is_member(actor) -> bool:
    from members.models import Member

    return isinstance(actor, Member)


def _require(actor, perm: str) -> None:
    """Raise ``OrdersPermissionDenied`` unless ``actor`` is active staff holding ``perm``.

    The system actor (jobs) passes; a member never holds a staff permission.
    """
    if is_system_actor(actor):
        return
    if _is_member(actor) or not getattr(actor, "is_active", False) or not actor.has_perm(perm):
        raise OrdersPermissionDenied()


def _order_locked(actor, order: Order) -> Order:
    """Reload ``order`` for ``actor`` under its row lock: outside the scope is 404."""
    return order_get(actor=actor, order_no=order.order_no, lock=True)


def _order_link(order: Order) -> str:
    """The admin page of ``order`` (for notifications); empty when the admin is absent."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("admin:orders_order_change", args=[order.pk])
    except NoReverseMatch:
        return ""


def _require_not_frozen(order: Order) -> None:
    if order.is_frozen:
        raise OrderFrozen(extra={"reason": order.frozen_reason})


@dataclass
class BatchResult:
    """What a batch did: the orders done, and a message per order number that failed."""

    done: list[Order] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"done": [o.order_no for o in self.done], "failed": dict(self.failed)}


# --- review checks ---------------------------------------------------------------------


def _physical_lines(order: Order) -> list[tuple[str, int]]:
    return [(line.sku_code, line.quantity) for line in order.lines.all() if not line.is_virtual]


def order_review_problems(*, actor, order: Order) -> list[str]:
    """The reasons ``order`` cannot be approved now (empty when it can).

    Checks: paid, address complete and deliverable (an active warehouse covers the
    province), contact phone, stock allocated for the physical lines (allocated now
    when the order holds none), the risk verdict at ``order.review``.
    """
    from dispatch.models import Allocation, CoverageArea

    problems: list[str] = []
    if order.paid_at is None or order.paid_amount < order.total_amount:
        problems.append(_("The order is not paid in full."))
    physical = _physical_lines(order)
    if not (order.recipient and order.detail and order.city and order.province_id):
        problems.append(_("The delivery address is incomplete."))
    if not order.phone:
        problems.append(_("The contact phone is missing."))
    if physical:
        covered = CoverageArea.objects.filter(
            province_id=order.province_id, warehouse__is_active=True
        ).exists()
        if not covered:
            problems.append(_("No warehouse delivers to this province."))
        else:
            live = (
                Allocation.objects.filter(order_no=order.order_no)
                .exclude(status=Allocation.Status.RELEASED)
                .exists()
            )
            if not live:
                problem = _allocate_now(actor, order, physical)
                if problem:
                    problems.append(problem)
    verdict = guard("order.review", order=order)
    if verdict.blocked or verdict.needs_review:
        problems.append(_("Risk control asks for a closer look at this order."))
    return problems


def _allocate_now(actor, order: Order, physical: list[tuple[str, int]]) -> str:
    """Try to allocate stock for an order holding none; return the problem or ''."""
    from dispatch.exceptions import DispatchError
    from dispatch.services import allocate

    try:
        with transaction.atomic():
            allocate(actor=actor, order_no=order.order_no, province=order.province, lines=physical)
    except DispatchError as exc:
        return _("Stock could not be allocated: %(error)s") % {"error": exc.message}
    return ""


# --- review ----------------------------------------------------------------------------


def _hold(actor, order: Order, reason: str) -> Order:
    """Hold ``order`` at review with ``reason``; notify customer service (subject: order)."""
    reason = (reason or "").strip()[:300]
    before = snapshot(order, ["is_review_held", "review_hold_reason"])
    order.is_review_held = True
    order.review_hold_reason = reason
    order.save(update_fields=["is_review_held", "review_hold_reason", "updated_at"])
    order_event_record(actor=actor, order=order, type="reject", reason=reason)
    audit(
        actor=actor,
        action="order.reject",
        target=order,
        before=before,
        after=snapshot(order, ["is_review_held", "review_hold_reason"]),
    )
    staff_notify_holders(
        actor=actor,
        permission=perms.MODIFY_ORDER,
        kind=REVIEW_FAILED_KIND,
        title=_("Order %(no)s held at review: %(reason)s")
        % {"no": order.order_no, "reason": reason},
        link=_order_link(order),
        dedupe_key=f"orders.review_failed:{order.pk}",
        subject=order,
    )
    return order


def order_in_promotion(*, actor=None, now=None) -> bool:
    """Whether ``now`` lies inside a promotion period (shipping then takes 48 h).

    The promotion calendar's periods, and any flash-sale session or campaign live at
    ``now`` (``orders.promotions.preheat.promotion_running``).
    """
    from ..models import PromotionPeriod
    from ..promotions.preheat import promotion_running

    now = now or timezone.now()
    in_period = PromotionPeriod.objects.filter(starts_at__lte=now, ends_at__gt=now).exists()
    return in_period or promotion_running(now=now)


def _approve(actor, order: Order, note: str) -> Order:
    from ..promotions.presale import presale_ship_clock_start

    now = timezone.now()
    order_transition(
        actor=actor,
        order=order,
        to=S.APPROVED,
        action="order.approve",
        reason=note,
        data={"first_reviewer": order.first_reviewed_by_id} if order.first_reviewed_by_id else {},
        reviewed_at=now,
        reviewed_by=None if is_system_actor(actor) else actor,
        is_review_held=False,
        review_hold_reason="",
    )
    sla_clock_stop(kind="order.review", subject=order, actor=actor, outcome="met", at=now)
    # a presale ships from its ship date: its clock starts then (or now, when later)
    sla_clock_start(
        kind="order.ship",
        subject=order,
        actor=actor,
        started_at=presale_ship_clock_start(order=order, approved_at=now),
        region=order.region_id,
        promotion=order_in_promotion(actor=actor, now=now),
    )
    notifications_resolve(actor=actor, subject=order)
    if order.is_virtual and get_parameter(VIRTUAL_AUTO_SHIP):
        from .shipping import ship_virtual_order

        ship_virtual_order(actor=actor, order=order)
    return order


def _approve_locked(actor, order: Order, note: str) -> tuple[Order, list[str]]:
    """Approve an order already locked for ``actor``; return it and the problems found."""
    if order.status != S.PENDING_REVIEW:
        raise OrderStateConflict(
            _("Only an order waiting for review can be approved."),
            extra={"status": order.status},
        )
    _require_not_frozen(order)
    second_step = order.needs_second_review and order.first_reviewed_by_id is not None
    if second_step:
        _require(actor, perms.APPROVE_ORDER)
        if getattr(actor, "pk", None) == order.first_reviewed_by_id:
            raise OrdersPermissionDenied(
                _("The second review must be done by another person than the first.")
            )
    problems = order_review_problems(actor=actor, order=order)
    if problems:
        _hold(actor, order, "；".join(str(p) for p in problems))
        return order, problems
    if order.needs_second_review and not second_step:
        before = snapshot(order, ["first_reviewed_by"])
        order.first_reviewed_by = None if is_system_actor(actor) else actor
        order.is_review_held = False
        order.review_hold_reason = ""
        order.save(
            update_fields=[
                "first_reviewed_by",
                "is_review_held",
                "review_hold_reason",
                "updated_at",
            ]
        )
        order_event_record(actor=actor, order=order, type="first_review", reason=note)
        audit(
            actor=actor,
            action="order.first_review",
            target=order,
            before=before,
            after=snapshot(order, ["first_reviewed_by"]),
        )
        staff_notify_holders(
            actor=actor,
            permission=perms.APPROVE_ORDER,
            exclude=getattr(actor, "pk", None),
            kind=SECOND_REVIEW_KIND,
            title=_("Order %(no)s waits for a second reviewer") % {"no": order.order_no},
            link=_order_link(order),
            dedupe_key=f"orders.second_review:{order.pk}",
            subject=order,
        )
        return order, []
    return _approve(actor, order, note), []


@transaction.atomic
def order_approve(*, actor, order: Order, note: str = "") -> Order:
    """Approve ``order`` after the review checks (``orders.review_order``, in scope).

    Returns the order: ``approved`` (or ``shipped`` for a virtual order shipped at
    once); still ``pending_review`` after a first review of a large order, or held
    (``is_review_held`` with the problems in ``review_hold_reason``) when a check
    failed. Raises ``OrderStateConflict`` unless it waits for review, ``OrderFrozen``,
    ``OrdersPermissionDenied`` (the second reviewer needs ``orders.approve_order`` and
    must be another person), ``OrderNotFound`` outside the scope.
    """
    _require(actor, perms.REVIEW_ORDER)
    order = _order_locked(actor, order)
    order, _problems = _approve_locked(actor, order, (note or "").strip()[:300])
    return order


@transaction.atomic
def order_reject(*, actor, order: Order, reason: str) -> Order:
    """Hold ``order`` at review with ``reason``; customer service is notified at once.

    Needs ``orders.review_order``; only an order waiting for review. The order stays
    ``pending_review`` (held) until the problem is fixed or it is cancelled.
    """
    _require(actor, perms.REVIEW_ORDER)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrderInput(fields={"reason": [_("Give a reason.")]})
    if len(reason) > 300:
        raise InvalidOrderInput(fields={"reason": [_("At most 300 characters.")]})
    order = _order_locked(actor, order)
    if order.status != S.PENDING_REVIEW:
        raise OrderStateConflict(
            _("Only an order waiting for review can be held."), extra={"status": order.status}
        )
    return _hold(actor, order, reason)


def orders_approve_batch(*, actor, orders, note: str = "") -> BatchResult:
    """Approve many orders, each in its own savepoint; return what was done and what failed.

    A held order (a failed check) counts as failed with its problems.
    """
    _require(actor, perms.REVIEW_ORDER)
    result = BatchResult()
    for order in orders:
        try:
            with transaction.atomic():
                locked = _order_locked(actor, order)
                locked, problems = _approve_locked(actor, locked, note)
        except ApplicationError as exc:  # a domain refusal (orders, dispatch, kernel)
            result.failed[order.order_no] = str(exc.message)
            continue
        if problems:
            result.failed[order.order_no] = locked.review_hold_reason
        else:
            result.done.append(locked)
    return result


# --- warehouse approval ------------------------------------------------------------------


@transaction.atomic
def order_warehouse_approve(*, actor, order: Order) -> Order:
    """The warehouse accepts an approved order: ``approved → allocated``.

    Needs ``orders.warehouse_approve_order``; refuses frozen orders and orders whose
    physical lines hold no live stock allocation.
    """
    from dispatch.models import Allocation

    _require(actor, perms.WAREHOUSE_APPROVE_ORDER)
    order = _order_locked(actor, order)
    if order.status != S.APPROVED:
        raise OrderStateConflict(
            _("Only an approved order can be approved by the warehouse."),
            extra={"status": order.status},
        )
    _require_not_frozen(order)
    if _physical_lines(order):
        live = Allocation.objects.filter(
            order_no=order.order_no, status=Allocation.Status.ALLOCATED
        ).exists()
        if not live:
            raise OrderStateConflict(_("The order holds no stock allocation."))
    order_transition(
        actor=actor,
        order=order,
        to=S.ALLOCATED,
        action="order.warehouse_approve",
        allocated_at=timezone.now(),
    )
    return order


# --- freeze ----------------------------------------------------------------------------


def _set_frozen(actor, order: Order, frozen: bool, reason: str) -> Order:
    _require(actor, perms.FREEZE_ORDER)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrderInput(fields={"reason": [_("Give a reason.")]})
    if len(reason) > 200:
        raise InvalidOrderInput(fields={"reason": [_("At most 200 characters.")]})
    order = _order_locked(actor, order)
    if frozen and order.status in FINAL_STATUSES:
        raise OrderStateConflict(
            _("A finished order cannot be frozen."), extra={"status": order.status}
        )
    if order.is_frozen == frozen:
        raise OrderStateConflict(
            _("The order is already frozen.") if frozen else _("The order is not frozen.")
        )
    before = snapshot(order, ["is_frozen", "frozen_reason"])
    order.is_frozen = frozen
    order.frozen_reason = reason if frozen else ""
    order.save(update_fields=["is_frozen", "frozen_reason", "updated_at"])
    order_freeze_changed.send(sender=Order, order=order, frozen=frozen, actor=actor, reason=reason)
    action = "order.freeze" if frozen else "order.unfreeze"
    order_event_record(actor=actor, order=order, type=action.removeprefix("order."), reason=reason)
    audit(
        actor=actor,
        action=action,
        target=order,
        before=before,
        after=snapshot(order, ["is_frozen", "frozen_reason"]),
        data={"reason": reason},
    )
    if not frozen and order.is_presale:
        from ..promotions.presale import presale_window_extend_after_freeze

        # the buyer could not pay while frozen: give the final window that time back
        presale_window_extend_after_freeze(actor=actor, order=order)
    return order


@transaction.atomic
def order_freeze(*, actor, order: Order, reason: str) -> Order:
    """Freeze ``order`` (``orders.freeze_order``; risk calls it): no approval, shipping,
    receipt or refund until released. Timeline + audit."""
    return _set_frozen(actor, order, True, reason)


@transaction.atomic
def order_unfreeze(*, actor, order: Order, reason: str) -> Order:
    """Release a frozen order (``orders.freeze_order``). Timeline + audit.

    A deposit-paid presale gets back the final-window time the freeze took
    (``orders.promotions.presale.presale_window_extend_after_freeze``)."""
    return _set_frozen(actor, order, False, reason)
