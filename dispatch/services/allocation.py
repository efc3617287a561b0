"""Pre-dispatch, allocation (stock locking and splitting), release, ship-out, tracking.

The orders app calls these by order number; dispatch never imports orders.

Oversell protection: the plan is computed from a plain read, then every chosen
quantity is locked through the ledger primitive (:func:`.ledger.stock_move`): one
conditional ``UPDATE … SET reserved = reserved + q WHERE id = … AND on_hand -
reserved [- safety_stock] >= q`` per stock row, in stock-id order. A refused
update means a concurrent buyer took the units first: the savepoint rolls
back and the plan is recomputed from fresh figures (a few times, then
``OutOfStock``). PostgreSQL re-evaluates the ``WHERE`` on the locked row, so no
interleaving can reserve more than is on hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core import metrics
from mall.core.audit import audit, snapshot
from mall.core.hooks import call_providers
from mall.core.times import is_in_future
from mall.core.transitions import transition
from ops.parameters import get_parameter
from ops.services.sla import sla_clock_restart, sla_clock_start, sla_clock_stop
from rbac.models import Province

from ..access import require_permission, require_warehouse_access, warehouses_in_scope
from ..exceptions import (
    DispatchError,
    InsufficientStock,
    InvalidDispatchInput,
    InvalidStateTransition,
    NotDeliverable,
    OutOfStock,
)
from ..inputs import SkuLine, checked_text, document_no, parse_lines
from ..models import (
    Allocation,
    Carrier,
    CarrierRule,
    CoverageArea,
    Shipment,
    ShipmentLine,
    Stock,
    StockMovement,
    TrackingEvent,
    Warehouse,
)
from ..parameters import ALLOCATION_RETRIES, LOGISTICS_SILENCE_HOURS, SAFETY_STOCK_HELD_BACK
from ..planner import Candidate, Plan, choose_carrier, plan_allocation
from .ledger import StockChange, stock_move

LOGISTICS_SILENCE = "shipment.logistics_silence"
# Offered to apps above: called with ``actor``, ``shipment`` once a shipment is delivered.
SHIPMENT_DELIVERED_HOOK = "dispatch.shipment_delivered"
Kind = StockMovement.Kind


class _LostRace(Exception):
    """A conditional update found fewer units than the plan expected."""


@dataclass
class PlannedShipmentView:
    warehouse: Warehouse
    carrier: Carrier | None
    shipping_fee_amount: Decimal
    promised_days: int
    tier: int
    lines: list[tuple[str, int]]  # (sku code, quantity)
    sku_ids: dict[int, int] = field(default_factory=dict)  # sku id → quantity

    @property
    def is_supplier_order(self) -> bool:
        return self.warehouse.is_supplier


@dataclass
class AllocationPlan:
    """The answer of pre-dispatch: shipments, promised delivery date."""

    shipments: list[PlannedShipmentView]
    promised_delivery_date: date

    @property
    def is_split(self) -> bool:
        return len(self.shipments) > 1

    def as_dict(self) -> dict:
        return {
            "promised_delivery_date": self.promised_delivery_date.isoformat(),
            "is_split": self.is_split,
            "shipments": [
                {
                    "warehouse": s.warehouse.code,
                    "warehouse_name": s.warehouse.name,
                    "is_supplier_order": s.is_supplier_order,
                    "carrier": s.carrier.code if s.carrier else None,
                    "promised_days": s.promised_days,
                    "tier": s.tier,
                    "lines": [{"sku": code, "quantity": q} for code, q in s.lines],
                }
                for s in self.shipments
            ],
        }


def _province(province) -> Province:
    if isinstance(province, Province):
        return province
    found = None
    if isinstance(province, int) and not isinstance(province, bool):
        found = Province.objects.filter(pk=province).first()
    elif isinstance(province, str):
        found = Province.objects.resolve(province)
    if found is None:
        raise InvalidDispatchInput(fields={"province": [_("Unknown province.")]})
    return found


def _snapshot_candidates(
    province: Province, demand: list[SkuLine], warehouses: QuerySet[Warehouse] | None = None
) -> tuple[list[Candidate], dict[tuple[int, int], int]]:
    """Read coverage and sellable stock (no locks); return candidates and stock ids.

    ``warehouses`` narrows the candidates (a caller's data scope); ``None`` is every
    active warehouse.
    """
    areas = CoverageArea.objects.filter(province=province, warehouse__is_active=True)
    if warehouses is not None:
        areas = areas.filter(warehouse__in=warehouses.values("pk"))
    coverage = list(areas.values_list("warehouse_id", "tier", "promised_days"))
    if not coverage:
        raise NotDeliverable()
    held_back = bool(get_parameter(SAFETY_STOCK_HELD_BACK))
    rows = Stock.objects.filter(
        warehouse_id__in=[c[0] for c in coverage], sku_id__in=[ln.sku_id for ln in demand]
    ).values_list("pk", "warehouse_id", "sku_id", "on_hand", "reserved", "safety_stock")
    available: dict[int, dict[int, int]] = {}
    stock_ids: dict[tuple[int, int], int] = {}
    for pk, warehouse_id, sku_id, on_hand, reserved, safety in rows:
        units = on_hand - reserved - (safety if held_back else 0)
        stock_ids[(warehouse_id, sku_id)] = pk
        if units > 0:
            available.setdefault(warehouse_id, {})[sku_id] = units
    candidates = [
        Candidate(warehouse_id, tier, days, available.get(warehouse_id, {}))
        for warehouse_id, tier, days in coverage
    ]
    return candidates, stock_ids


def _plan(province: Province, demand: list[SkuLine], warehouses: QuerySet[Warehouse] | None = None):
    candidates, stock_ids = _snapshot_candidates(province, demand, warehouses)
    plan = plan_allocation(candidates, {ln.sku_id: ln.quantity for ln in demand})
    if plan is None:
        metrics.count("out_of_stock")
        raise OutOfStock(extra={"skus": sorted(ln.sku_code for ln in demand)})
    return plan, stock_ids


def _carrier_rules() -> list[CarrierRule]:
    return list(CarrierRule.objects.filter(carrier__is_active=True).select_related("carrier"))


def _plan_view(plan: Plan, province: Province, demand: list[SkuLine]) -> AllocationPlan:
    codes = {ln.sku_id: ln.sku_code for ln in demand}
    warehouses = Warehouse.objects.in_bulk([s.warehouse_id for s in plan.shipments])
    rules = _carrier_rules()
    views = []
    for planned in plan.shipments:
        units = sum(planned.lines.values())
        carrier, fee = choose_carrier(
            rules, warehouse_id=planned.warehouse_id, province_id=province.pk, units=units
        )
        views.append(
            PlannedShipmentView(
                warehouse=warehouses[planned.warehouse_id],
                carrier=carrier,
                shipping_fee_amount=fee,
                promised_days=planned.promised_days,
                tier=planned.tier,
                lines=[(codes[sku_id], q) for sku_id, q in sorted(planned.lines.items())],
                sku_ids=dict(planned.lines),
            )
        )
    return AllocationPlan(
        shipments=views,
        promised_delivery_date=timezone.localdate() + timedelta(days=plan.promised_days),
    )


def predispatch(*, actor, province, lines) -> AllocationPlan:
    """Estimate warehouses, shipments and the promised delivery date. Reserves nothing.

    ``province`` is an ``rbac.Province``, its id or its (short or full) name; ``lines``
    are ``(sku or sku code, quantity)``. Raises ``InvalidDispatchInput``,
    ``NotDeliverable`` (no active warehouse covers the province) or ``OutOfStock``.

    ``actor`` is who asks. The system actor (jobs; the orders app planning checkout
    for a buyer, who is shown the date only) is planned over every covering
    warehouse, as allocation would do. Anybody else is planned over the covering
    warehouses in their data scope only, so the answer — the plan, ``OutOfStock``,
    ``NotDeliverable`` — reads the same whatever other warehouses hold
    (docs/DISPATCH.md "Pre-dispatch and the data scope").
    """
    province = _province(province)
    demand = parse_lines(lines)
    plan, _stock_ids = _plan(province, demand, warehouses_in_scope(actor))
    return _plan_view(plan, province, demand)


def _live_allocation(order_no: str) -> Allocation | None:
    return (
        Allocation.objects.filter(order_no=order_no)
        .exclude(status=Allocation.Status.RELEASED)
        .first()
    )


def _lock_plan(actor, order_no: str, plan: Plan, stock_ids: dict[tuple[int, int], int]) -> None:
    """Reserve every planned quantity through the ledger (``order_lock`` movements).

    Raises ``_LostRace`` when a concurrent buyer took the units first.
    """
    held_back = bool(get_parameter(SAFETY_STOCK_HELD_BACK))
    changes = [
        StockChange(
            stock_ids[(warehouse_id, sku_id)],
            Kind.ORDER_LOCK,
            reserved=quantity,
            respect_safety_stock=held_back,
        )
        for (warehouse_id, sku_id), quantity in plan.quantities().items()
    ]
    try:
        stock_move(actor=actor, changes=changes, reference_type="order", reference_no=order_no)
    except InsufficientStock as exc:
        raise _LostRace() from exc


def allocate(*, actor, order_no: str, province, lines, warehouse_ids=None) -> Allocation:
    """Lock stock for an order and split it into shipments (one per warehouse).

    Warehouses are chosen by :func:`dispatch.planner.plan_allocation` (covering
    tier, then fewest shipments, then delivery days); each shipment gets the
    cheapest carrier whose rules cover the route; a supplier warehouse's shipment is
    a supplier order. Idempotent per order: an order that already holds a live
    allocation gets it back unchanged. Raises ``OutOfStock`` (409), ``NotDeliverable``
    (409) or ``InvalidDispatchInput`` (400). Writes one ``order_lock`` movement per
    stock row and one audit entry, last.

    Called by the orders app with its own permission checks (the buyer or the staff
    member placing the order), so no function permission is checked here.

    ``warehouse_ids`` narrows the candidates: a flash order is allocated only where
    its session holds the quota (the units it has just taken out of the hold), so a
    placement and a cancellation of flash orders lock the same stock rows in the same
    order (docs/FLASH_SALE.md "Lock order").
    """
    order_no = (order_no or "").strip()
    if not order_no or len(order_no) > 40:
        raise InvalidDispatchInput(fields={"order_no": [_("Enter an order number.")]})
    province = _province(province)
    demand = parse_lines(lines)
    existing = _live_allocation(order_no)
    if existing is not None:
        return existing
    attempts = int(get_parameter(ALLOCATION_RETRIES))
    narrowed = (
        Warehouse.objects.filter(pk__in=list(warehouse_ids)) if warehouse_ids is not None else None
    )
    for _attempt in range(attempts):
        plan, stock_ids = _plan(province, demand, narrowed)
        view = _plan_view(plan, province, demand)
        try:
            with transaction.atomic():
                # Rows first, stock lock last: the contended stock row stays locked
                # only for the lock itself, the audit entry and the commit.
                allocation = _allocation_write(actor, order_no, province, view, stock_ids)
                _lock_plan(actor, order_no, plan, stock_ids)
                _allocation_audit(actor, allocation, view)
                transaction.on_commit(lambda: metrics.count("allocations"))
                return allocation
        except _LostRace:
            continue
        except IntegrityError as exc:
            # A concurrent call for the same order won (one live allocation per order).
            existing = _live_allocation(order_no)
            if existing is not None:
                return existing
            raise DispatchError(_("The allocation could not be saved.")) from exc
    metrics.count("out_of_stock")
    raise OutOfStock(extra={"skus": sorted(ln.sku_code for ln in demand)})


def _allocation_write(
    actor, order_no: str, province: Province, view: AllocationPlan, stock_ids
) -> Allocation:
    allocation = Allocation.objects.create(
        order_no=order_no,
        province=province,
        promised_delivery_date=view.promised_delivery_date,
        created_by=actor,
    )
    shipments, lines = [], []
    for planned in view.shipments:
        shipment = Shipment(
            shipment_no=document_no("FH"),
            allocation=allocation,
            order_no=order_no,
            warehouse=planned.warehouse,
            carrier=planned.carrier,
            is_supplier_order=planned.is_supplier_order,
            promised_days=planned.promised_days,
            shipping_fee_amount=planned.shipping_fee_amount,
        )
        shipments.append(shipment)
    Shipment.objects.bulk_create(shipments)
    for shipment, planned in zip(shipments, view.shipments, strict=True):
        for sku_id, quantity in sorted(planned.sku_ids.items()):
            stock_id = stock_ids[(planned.warehouse.pk, sku_id)]
            lines.append(
                ShipmentLine(shipment=shipment, stock_id=stock_id, sku_id=sku_id, quantity=quantity)
            )
    ShipmentLine.objects.bulk_create(lines)
    return allocation


def _allocation_audit(actor, allocation: Allocation, view: AllocationPlan) -> None:
    audit(
        actor=actor,
        action="dispatch.allocate",
        target=allocation,
        data={"order_no": allocation.order_no, **view.as_dict()},
    )


@transaction.atomic
def allocation_release(*, actor, order_no: str, reason: str) -> Allocation | None:
    """Give back the stock an order reserved and cancel its unshipped shipments.

    Returns the allocation, or ``None`` when the order holds no live allocation
    (already released, or never allocated) — safe to call twice. Shipped shipments
    are left alone (their goods come back through a return receipt); an allocation
    with some shipped shipments stays ``shipped``.
    """
    allocation = (
        Allocation.objects.select_for_update()
        .filter(order_no=(order_no or "").strip())
        .exclude(status=Allocation.Status.RELEASED)
        .first()
    )
    if allocation is None:
        return None
    reason = checked_text(Allocation, "released_reason", reason)
    pending = list(
        Shipment.objects.select_for_update()
        .filter(allocation=allocation, status=Shipment.Status.PENDING)
        .order_by("pk")
    )
    stock_move(
        actor=actor,
        changes=[
            StockChange(line.stock_id, Kind.ORDER_RELEASE, reserved=-line.quantity, note=reason)
            for line in ShipmentLine.objects.filter(shipment__in=pending)
        ],
        reference_type="order",
        reference_no=allocation.order_no,
    )
    for shipment in pending:
        transition(
            shipment,
            Shipment.Status.CANCELLED,
            actor=actor,
            action="dispatch.shipment_cancel",
            reason=reason,
            data={"order_no": allocation.order_no},
        )
    any_shipped = allocation.shipments.exclude(status=Shipment.Status.CANCELLED).exists()
    target = Allocation.Status.SHIPPED if any_shipped else Allocation.Status.RELEASED
    data = {"reason": reason, "cancelled_shipments": [s.shipment_no for s in pending]}
    if target != allocation.status:
        transition(
            allocation,
            target,
            actor=actor,
            action="dispatch.allocation_release",
            data=data,
            released_reason=reason,
        )
    else:  # already shipped in full: nothing left to give back, note the reason only
        before = snapshot(allocation, ["released_reason"])
        allocation.released_reason = reason
        allocation.save(update_fields=["released_reason", "updated_at"])
        audit(
            actor=actor,
            action="dispatch.allocation_release",
            target=allocation,
            before=before,
            after=snapshot(allocation, ["released_reason"]),
            data=data,
        )
    return allocation


@transaction.atomic
def shipment_ship(*, actor, shipment: Shipment, waybill_no: str, carrier: Carrier | None = None):
    """Ship a shipment out: stock leaves (``on_hand`` and ``reserved`` drop), clock starts.

    Needs ``dispatch.change_shipment`` and the warehouse in scope. The carrier is
    the one chosen at allocation unless another is given. Starts the logistics
    silence SLA clock. Raises ``InvalidStateTransition`` unless the shipment waits.
    """
    require_permission(actor, "dispatch.change_shipment")
    # The apps above may veto (hook ``dispatch.shipment_may_ship``: orders locks the order
    # and refuses a frozen one, 409 ``order_frozen``); they lock first, so the lock order
    # stays order → allocation → shipment, as orders' own ship path takes it.
    order_no = Shipment.objects.filter(pk=shipment.pk).values_list("order_no", flat=True).first()
    call_providers("dispatch.shipment_may_ship", actor=actor, order_no=order_no or "")
    # Lock order allocation → shipment, as allocation_release does (no deadlock).
    allocation = (
        Allocation.objects.select_for_update()
        .filter(pk=Shipment.objects.filter(pk=shipment.pk).values("allocation_id")[:1])
        .first()
    )
    shipment = Shipment.objects.select_for_update().select_related("warehouse").get(pk=shipment.pk)
    require_warehouse_access(actor, shipment.warehouse)
    if shipment.status != Shipment.Status.PENDING:
        raise InvalidStateTransition(_("Only a shipment waiting to ship can be shipped."))
    waybill_no = (waybill_no or "").strip()
    if not waybill_no or len(waybill_no) > 64:
        raise InvalidDispatchInput(fields={"waybill_no": [_("Enter the waybill number.")]})
    carrier = carrier or shipment.carrier
    if carrier is None or not carrier.is_active:
        raise InvalidDispatchInput(fields={"carrier": [_("Choose an active carrier.")]})
    stock_move(
        actor=actor,
        changes=[
            StockChange(
                line.stock_id, Kind.SHIP_OUT, on_hand=-line.quantity, reserved=-line.quantity
            )
            for line in shipment.lines.all()
        ],
        reference_type="shipment",
        reference_no=shipment.shipment_no,
    )
    now = timezone.now()
    transition(
        shipment,
        Shipment.Status.SHIPPED,
        actor=actor,
        action="dispatch.shipment_ship",
        data={"order_no": shipment.order_no},
        waybill_no=waybill_no,
        carrier=carrier,
        shipped_at=now,
        last_event_at=now,
    )
    open_left = Shipment.objects.filter(
        allocation_id=shipment.allocation_id, status=Shipment.Status.PENDING
    ).exists()
    if not open_left and allocation.status == Allocation.Status.ALLOCATED:
        transition(
            allocation,
            Allocation.Status.SHIPPED,
            actor=actor,
            action="dispatch.allocation_shipped",
            data={"last_shipment": shipment.shipment_no},
        )
    sla_clock_start(
        kind=LOGISTICS_SILENCE,
        subject=shipment,
        actor=actor,
        started_at=now,
        region=shipment.warehouse.region_id,
    )
    return shipment


@transaction.atomic
def tracking_event_record(
    *,
    actor,
    shipment: Shipment,
    occurred_at: datetime,
    description: str,
    location: str = "",
    is_delivered: bool = False,
) -> TrackingEvent:
    """Record a carrier tracking event; restart the silence clock, or stop it on delivery.

    Needs ``dispatch.change_shipment`` and the warehouse in scope. Refuses events of a
    shipment that is not out (``InvalidStateTransition``) and times in the future or
    before the shipment was created (``InvalidDispatchInput``).
    """
    require_permission(actor, "dispatch.change_shipment")
    shipment = Shipment.objects.select_for_update().select_related("warehouse").get(pk=shipment.pk)
    require_warehouse_access(actor, shipment.warehouse)
    if shipment.status != Shipment.Status.SHIPPED:
        raise InvalidStateTransition(_("Tracking events are recorded for shipped parcels only."))
    description = checked_text(TrackingEvent, "description", (description or "").strip())
    location = checked_text(TrackingEvent, "location", location)
    if not description:
        raise InvalidDispatchInput(fields={"description": [_("This field is required.")]})
    if is_in_future(occurred_at):
        raise InvalidDispatchInput(fields={"occurred_at": [_("This time lies in the future.")]})
    if occurred_at < shipment.created_at:
        raise InvalidDispatchInput(
            fields={"occurred_at": [_("This time lies before the shipment was created.")]}
        )
    event = TrackingEvent.objects.create(
        shipment=shipment,
        occurred_at=occurred_at,
        description=description,
        location=location,
        is_delivered=is_delivered,
        recorded_by=actor,
    )
    changes = {"is_stale": False}
    if shipment.last_event_at is None or occurred_at > shipment.last_event_at:
        changes["last_event_at"] = occurred_at
    data = {"event_id": event.pk, "description": event.description}
    if is_delivered:
        transition(
            shipment,
            Shipment.Status.DELIVERED,
            actor=actor,
            action="dispatch.tracking_event_record",
            data=data,
            delivered_at=occurred_at,
            **changes,
        )
        sla_clock_stop(kind=LOGISTICS_SILENCE, subject=shipment, actor=actor, outcome="met")
        # Apps above (orders) move their own records on; see docs/DISPATCH.md.
        call_providers(SHIPMENT_DELIVERED_HOOK, actor=actor, shipment=shipment)
        return event
    before = snapshot(shipment, ["is_stale", "last_event_at"])
    for name, value in changes.items():
        setattr(shipment, name, value)
    shipment.save(update_fields=[*changes, "updated_at"])
    sla_clock_restart(
        kind=LOGISTICS_SILENCE,
        subject=shipment,
        actor=actor,
        started_at=shipment.last_event_at,
        region=shipment.warehouse.region_id,
    )
    audit(
        actor=actor,
        action="dispatch.tracking_event_record",
        target=shipment,
        before=before,
        after=snapshot(shipment, ["is_stale", "last_event_at"]),
        data=data,
    )
    return event


@transaction.atomic
def shipments_flag_stale(*, actor, now: datetime | None = None) -> int:
    """Flag shipped parcels without a tracking event for the silence period; return count.

    One ``UPDATE`` (idempotent); the SLA board and escalation come from the
    logistics silence clock in ``ops``.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=int(get_parameter(LOGISTICS_SILENCE_HOURS)))
    stale = Shipment.objects.filter(
        status=Shipment.Status.SHIPPED, is_stale=False, last_event_at__lt=cutoff
    )
    ids = list(stale.values_list("pk", flat=True)[:5000])
    if not ids:
        return 0
    count = Shipment.objects.filter(pk__in=ids).update(is_stale=True, updated_at=now)
    audit(
        actor=actor,
        action="dispatch.shipments_flag_stale",
        object_type="dispatch.shipment",
        data={"count": count, "shipment_ids": ids[:100]},
    )
    return count
