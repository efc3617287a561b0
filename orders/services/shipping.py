"""Shipping (per shipment waybill), batch ship, delivery, receipt, auto-confirm,
lost parcels and the promotion calendar.

* ``order_ship`` ships each waiting shipment of an order through dispatch's
  ``shipment_ship`` (the actor needs ``orders.ship_order`` **and** dispatch's
  ``dispatch.change_shipment`` with the warehouse in scope: a warehouse clerk ships
  their own warehouse's parcels). When no shipment waits any more the order is
  ``shipped``: the ``order.ship`` clock stops, ``order.auto_confirm`` starts.
  Virtual lines are issued their codes when the order ships.
* Delivery: dispatch calls the hook ``dispatch.shipment_delivered`` (provided in
  ``orders/hooks.py``) → :func:`order_shipment_delivered`: the order is
  ``delivered`` once every shipment is.
* Receipt: ``order_confirm_receipt`` (the member, or staff with ``orders.change_order``)
  and the daily ``orders_auto_confirm_due`` complete the order, stop the
  auto-confirm clock and grant growth and points on the paid amount minus refunds
  (each once per order: members' services key them by order number).
* Lost or damaged parcel: ``order_report_lost_parcel`` starts ``order.lost_parcel``
  (24 h) on the shipment; ``order_lost_parcel_resolve`` reships (a new dispatch
  allocation under ``<order_no>-R<n>``) or refunds (``refund_request_open``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot
from mall.core.exceptions import ApplicationError
from mall.core.money import to_money
from ops.parameters import get_parameter
from ops.services.notifications import notifications_resolve, staff_notify_holders
from ops.services.sla import sla_clock_start, sla_clock_stop

from .. import permissions as perms
from ..exceptions import InvalidOrderInput, OrdersPermissionDenied, OrderStateConflict
from ..models import AfterSale, Order, PromotionPeriod
from ..selectors import order_get, order_refundable_amount
from .events import order_event_record, order_transition
from .review import (
    BatchResult,
    _is_member,
    _order_link,
    _order_locked,
    _require,
    _require_not_frozen,
    order_in_promotion,
)

__all__ = [
    "order_confirm_receipt",
    "order_in_promotion",
    "order_lost_parcel_resolve",
    "order_report_lost_parcel",
    "order_ship",
    "order_shipment_delivered",
    "orders_auto_confirm_due",
    "orders_ship_batch",
    "promotion_period_delete",
    "promotion_period_save",
    "ship_virtual_order",
]

S = Order.Status
AUTO_CONFIRM_DAYS = "sla.order_auto_confirm_days"
CHANGE_ORDER = "orders.change_order"
LOST_PARCEL_KIND = "orders.lost_parcel"


# --- shipping ------------------------------------------------------------------------------


def _carrier(value):
    """A ``Carrier``, its code, or ``None`` (the carrier chosen at allocation)."""
    from dispatch.models import Carrier

    if value is None or value == "":
        return None
    if isinstance(value, Carrier):
        return value
    carrier = Carrier.objects.filter(code=str(value).strip()[:40]).first()
    if carrier is None:
        raise InvalidOrderInput(fields={"carrier": [_("Unknown carrier.")]})
    return carrier


def _mark_shipped(actor, order: Order, now: datetime) -> Order:
    """Move ``order`` to ``shipped``: clocks, virtual codes."""
    from .virtual_goods import virtual_codes_issue

    virtual_codes_issue(actor=actor, order=order)
    order_transition(actor=actor, order=order, to=S.SHIPPED, action="order.ship", shipped_at=now)
    sla_clock_stop(kind="order.ship", subject=order, actor=actor, outcome="met", at=now)
    sla_clock_start(
        kind="order.auto_confirm",
        subject=order,
        actor=actor,
        started_at=now,
        region=order.region_id,
    )
    return order


def ship_virtual_order(*, actor, order: Order) -> Order:
    """Issue the codes of an approved virtual order and ship it (no parcel).

    Called inside the approving or shipping service's transaction (order locked).
    """
    return _mark_shipped(actor, order, timezone.now())


def _ship_locked(actor, order: Order, waybills: dict) -> Order:
    from dispatch.models import Allocation, Shipment
    from dispatch.services import shipment_ship

    if order.status not in (S.APPROVED, S.ALLOCATED):
        raise OrderStateConflict(
            _("Only an approved order can be shipped."), extra={"status": order.status}
        )
    _require_not_frozen(order)
    allocation = (
        Allocation.objects.filter(order_no=order.order_no)
        .exclude(status=Allocation.Status.RELEASED)
        .first()
    )
    shipments = (
        {s.pk: s for s in Shipment.objects.filter(allocation=allocation)} if allocation else {}
    )
    if not isinstance(waybills, dict):
        raise InvalidOrderInput(fields={"waybills": [_("Give a waybill per shipment.")]})
    if allocation is None and not order.is_virtual:
        raise OrderStateConflict(_("The order holds no stock allocation."))
    for key, value in waybills.items():
        try:
            shipment_id = int(key)
        except (TypeError, ValueError):
            shipment_id = None
        shipment = shipments.get(shipment_id)
        if shipment is None:
            raise InvalidOrderInput(
                fields={"waybills": [_("Shipment %(id)s is not part of this order.") % {"id": key}]}
            )
        if isinstance(value, (list, tuple)):
            waybill_no, carrier = [*value, None, None][:2]
        else:
            waybill_no, carrier = value, None
        shipment_ship(
            actor=actor,
            shipment=shipment,
            waybill_no=str(waybill_no or ""),
            carrier=_carrier(carrier),
        )
        shipment.refresh_from_db()
        order_event_record(
            actor=actor,
            order=order,
            type="waybill",
            data={
                "shipment_no": shipment.shipment_no,
                "waybill_no": shipment.waybill_no,
                "carrier": getattr(shipment.carrier, "code", ""),
            },
        )
    waiting = any(
        s.status == Shipment.Status.PENDING for s in Shipment.objects.filter(pk__in=list(shipments))
    )
    if not waiting:
        _mark_shipped(actor, order, timezone.now())
    return order


@transaction.atomic
def order_ship(*, actor, order: Order, waybills: dict) -> Order:
    """Ship the shipments named in ``waybills`` = ``{shipment_id: (waybill_no, carrier|None)}``.

    Needs ``orders.ship_order`` and, per shipment, dispatch's permission and the
    warehouse in scope (``DispatchNotFound`` 404 for another warehouse's parcel).
    The order must be approved or warehouse-approved and not frozen. Once no
    shipment waits the order is ``shipped``; otherwise it stays and the waybills are
    on its timeline. A virtual order ships with ``waybills={}``.
    """
    _require(actor, perms.SHIP_ORDER)
    order = _order_locked(actor, order)
    return _ship_locked(actor, order, waybills or {})


def orders_ship_batch(*, actor, shipments: dict) -> BatchResult:
    """Ship many orders: ``{order: {shipment_id: (waybill_no, carrier)}}``, each in its
    own savepoint; returns done / failed (order number → message)."""
    _require(actor, perms.SHIP_ORDER)
    result = BatchResult()
    for order, waybills in shipments.items():
        try:
            with transaction.atomic():
                locked = _order_locked(actor, order)
                result.done.append(_ship_locked(actor, locked, waybills or {}))
        except ApplicationError as exc:
            result.failed[order.order_no] = str(exc.message)
    return result


# --- delivery ------------------------------------------------------------------------------


@transaction.atomic
def order_shipment_delivered(*, actor, shipment) -> Order | None:
    """A shipment was delivered (dispatch's hook): the order is ``delivered`` when every
    shipment of its live allocation is. Returns the order moved, or ``None``."""
    from dispatch.models import Shipment

    order = Order.objects.select_for_update().filter(order_no=shipment.order_no).first()
    if order is None or order.status != S.SHIPPED:
        return None
    siblings = Shipment.objects.filter(allocation_id=shipment.allocation_id).exclude(
        status=Shipment.Status.CANCELLED
    )
    if siblings.exclude(status=Shipment.Status.DELIVERED).exists():
        order_event_record(
            actor=actor,
            order=order,
            type="shipment_delivered",
            data={"shipment_no": shipment.shipment_no},
        )
        return None
    order_transition(
        actor=actor,
        order=order,
        to=S.DELIVERED,
        action="order.deliver",
        data={"shipment_no": shipment.shipment_no},
        delivered_at=shipment.delivered_at or timezone.now(),
    )
    return order


# --- receipt -------------------------------------------------------------------------------


def _complete(actor, order: Order, action: str, now: datetime) -> Order:
    from members.services.growth import growth_record_purchase
    from members.services.points import points_earn_for_purchase

    order_transition(actor=actor, order=order, to=S.COMPLETED, action=action, completed_at=now)
    sla_clock_stop(kind="order.auto_confirm", subject=order, actor=actor, outcome="met", at=now)
    basis = to_money(order.paid_amount - order.refunded_amount)
    if basis > 0:
        growth_record_purchase(
            actor=actor, member=order.member, order_no=order.order_no, paid_amount=basis
        )
        points_earn_for_purchase(
            actor=actor, member=order.member, order_no=order.order_no, paid_amount=basis
        )
    return order


@transaction.atomic
def order_confirm_receipt(*, actor, order: Order) -> Order:
    """Confirm receipt: ``shipped``/``delivered`` → ``completed``; growth and points.

    The member confirms their own order; staff need ``orders.change_order`` (and the
    order in scope). Frozen orders are refused (``OrderFrozen``).
    """
    if not _is_member(actor):
        _require(actor, CHANGE_ORDER)
    order = order_get(actor=actor, order_no=order.order_no, lock=True)
    if order.status not in (S.SHIPPED, S.DELIVERED):
        raise OrderStateConflict(
            _("Only a shipped order can be confirmed as received."),
            extra={"status": order.status},
        )
    _require_not_frozen(order)
    return _complete(actor, order, "order.confirm_receipt", timezone.now())


def orders_auto_confirm_due(*, actor, now: datetime | None = None, batch_size: int = 500) -> int:
    """Complete shipped/delivered orders shipped more than ``sla.order_auto_confirm_days``
    ago (frozen ones wait); each in its own transaction. Returns how many completed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(get_parameter(AUTO_CONFIRM_DAYS)))
    due = list(
        Order.objects.filter(
            status__in=(S.SHIPPED, S.DELIVERED), shipped_at__lte=cutoff, is_frozen=False
        )
        .order_by("shipped_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    done = 0
    for pk in due:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(pk=pk).first()
            if (
                order is None
                or order.is_frozen
                or order.status not in (S.SHIPPED, S.DELIVERED)
                or order.shipped_at is None
                or order.shipped_at > cutoff
            ):
                continue
            _complete(actor, order, "order.auto_confirm", now)
            done += 1
    return done


# --- lost or damaged parcels ----------------------------------------------------------------


def _order_shipment(order: Order, shipment):
    from dispatch.models import Shipment

    shipment_id = getattr(shipment, "pk", shipment)
    found = (
        Shipment.objects.select_for_update().filter(pk=shipment_id, order_no=order.order_no).first()
    )
    if found is None:
        raise InvalidOrderInput(fields={"shipment": [_("The shipment is not part of this order.")]})
    return found


@transaction.atomic
def order_report_lost_parcel(*, actor, order: Order, shipment, reason: str):
    """Report a shipped parcel lost or damaged (``orders.modify_order``).

    Starts the ``order.lost_parcel`` clock (24 h) on the shipment, records the
    report on the timeline and notifies customer service. Returns the clock.
    """
    from dispatch.models import Shipment

    _require(actor, perms.MODIFY_ORDER)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidOrderInput(fields={"reason": [_("Give a reason (at most 200 characters).")]})
    order = _order_locked(actor, order)
    if order.status not in (S.SHIPPED, S.DELIVERED):
        raise OrderStateConflict(
            _("Only a shipped order can have a lost parcel."), extra={"status": order.status}
        )
    shipment = _order_shipment(order, shipment)
    if shipment.status not in (Shipment.Status.SHIPPED, Shipment.Status.DELIVERED):
        raise OrderStateConflict(_("Only a shipped parcel can be reported lost."))
    clock = sla_clock_start(
        kind="order.lost_parcel", subject=shipment, actor=actor, region=order.region_id
    )
    order_event_record(
        actor=actor,
        order=order,
        type="lost_parcel",
        reason=reason,
        data={"shipment_no": shipment.shipment_no},
    )
    audit(
        actor=actor,
        action="order.lost_parcel",
        target=order,
        data={"shipment_no": shipment.shipment_no, "reason": reason},
    )
    staff_notify_holders(
        actor=actor,
        permission=perms.MODIFY_ORDER,
        exclude=getattr(actor, "pk", None),
        kind=LOST_PARCEL_KIND,
        title=_("Lost or damaged parcel %(no)s of order %(order)s")
        % {"no": shipment.shipment_no, "order": order.order_no},
        link=_order_link(order),
        dedupe_key=f"orders.lost_parcel:{shipment.pk}",
        subject=order,
    )
    return clock


def _shipment_amount(order: Order, shipment) -> tuple[Decimal, list]:
    """The payable share of the lines in ``shipment`` (to the cent) and those lines."""
    by_sku = {line.sku_id: line for line in order.lines.all()}
    chosen = []
    amount = Decimal("0.00")
    for item in shipment.lines.all():
        line = by_sku.get(item.sku_id)
        if line is None:
            continue
        quantity = min(item.quantity, line.quantity)
        chosen.append((line, quantity))
        amount += line.payable_amount * quantity / line.quantity
    return to_money(amount), chosen


@transaction.atomic
def order_lost_parcel_resolve(
    *, actor, order: Order, shipment, resolution: str, amount=None, note: str = ""
):
    """Resolve a reported lost parcel by ``reship`` or ``refund`` (``orders.modify_order``).

    ``reship`` allocates the parcel's lines again through dispatch under the
    reference ``<order_no>-R<n>`` (returns the new ``Allocation``); ``refund`` opens a
    refund request of ``amount`` (default: the parcel's share of the payable amount,
    at most what can still be refunded; refused for a frozen order) and returns the
    ``AfterSale``. Stops the ``order.lost_parcel`` clock (met).
    """
    from dispatch.models import Allocation
    from dispatch.services import allocate

    from .refunds import refund_request_open

    _require(actor, perms.MODIFY_ORDER)
    if resolution not in ("reship", "refund"):
        raise InvalidOrderInput(fields={"resolution": [_("Choose reship or refund.")]})
    order = _order_locked(actor, order)
    shipment = _order_shipment(order, shipment)
    share, chosen = _shipment_amount(order, shipment)
    if resolution == "reship":
        count = Allocation.objects.filter(order_no__startswith=f"{order.order_no}-R").count()
        reference = f"{order.order_no}-R{count + 1}"
        outcome = allocate(
            actor=actor,
            order_no=reference,
            province=order.province,
            lines=[(line.sku_code, quantity) for line, quantity in chosen],
        )
        data = {"shipment_no": shipment.shipment_no, "reship_reference": reference}
    else:
        _require_not_frozen(order)
        value = to_money(amount) if amount not in (None, "") else share
        value = min(value, order_refundable_amount(actor=actor, order=order))
        outcome = refund_request_open(
            actor=actor,
            order=order,
            amount=value,
            reason=AfterSale.Reason.NOT_RECEIVED,
            description=note or _("Lost or damaged parcel %(no)s") % {"no": shipment.shipment_no},
            lines=chosen,
        )
        data = {
            "shipment_no": shipment.shipment_no,
            "case_no": outcome.case_no,
            "amount": f"{value:.2f}",
        }
    clock = sla_clock_stop(kind="order.lost_parcel", subject=shipment, actor=actor, outcome="met")
    if clock is None:
        raise OrderStateConflict(_("No lost parcel is reported for this shipment."))
    order_event_record(
        actor=actor, order=order, type=f"lost_parcel_{resolution}", reason=note, data=data
    )
    audit(
        actor=actor,
        action=f"order.lost_parcel_{resolution}",
        target=order,
        data=data,
    )
    notifications_resolve(actor=actor, subject=order, kinds=[LOST_PARCEL_KIND])
    return outcome


# --- promotion calendar ---------------------------------------------------------------------


def _period_fields(period: PromotionPeriod) -> dict:
    return snapshot(period, ["name", "starts_at", "ends_at"])


@transaction.atomic
def promotion_period_save(
    *,
    actor,
    period: PromotionPeriod | None = None,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
) -> PromotionPeriod:
    """Add (``period=None``) or change a promotion period (``orders.change_promotionperiod``)."""
    _require(actor, perms.CHANGE_PROMOTION_PERIOD)
    name = (name or "").strip()
    problems: dict[str, list[str]] = {}
    if not name or len(name) > 80:
        problems["name"] = [_("Give a name of at most 80 characters.")]
    if not starts_at or not ends_at or ends_at <= starts_at:
        problems["ends_at"] = [_("The end must come after the start.")]
    if problems:
        raise InvalidOrderInput(fields=problems)
    if period is None:
        if _is_member(actor):
            raise OrdersPermissionDenied()
        period = PromotionPeriod.objects.create(
            name=name, starts_at=starts_at, ends_at=ends_at, created_by=actor
        )
        audit(
            actor=actor,
            action="promotion_period.create",
            target=period,
            after=_period_fields(period),
        )
        return period
    period = PromotionPeriod.objects.select_for_update().get(pk=period.pk)
    before = _period_fields(period)
    period.name, period.starts_at, period.ends_at = name, starts_at, ends_at
    period.save(update_fields=["name", "starts_at", "ends_at", "updated_at"])
    audit(
        actor=actor,
        action="promotion_period.update",
        target=period,
        before=before,
        after=_period_fields(period),
    )
    return period


@transaction.atomic
def promotion_period_delete(*, actor, period: PromotionPeriod) -> None:
    """Remove a promotion period (``orders.change_promotionperiod``); audited."""
    _require(actor, perms.CHANGE_PROMOTION_PERIOD)
    before = _period_fields(period)
    audit(actor=actor, action="promotion_period.delete", target=period, before=before)
    PromotionPeriod.objects.filter(pk=period.pk).delete()
