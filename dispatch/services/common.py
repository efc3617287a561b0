"""Helpers shared by the dispatch services: the ledger primitive, input parsing, access."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.scoping import scope_queryset

from ..exceptions import (
    DispatchNotFound,
    DispatchPermissionDenied,
    InsufficientStock,
    InvalidDispatchInput,
)
from ..models import Stock, StockMovement, Warehouse

# The most units one line (or one SKU of a document, after merging) may carry: far above
# any real quantity, far below the database integer range of the stock figures.
MAX_LINE_QUANTITY = 1_000_000


def document_no(prefix: str) -> str:
    """Return a readable unique document number: ``PI20260601`` + 8 hex digits."""
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(4).upper()}"


def require_permission(actor, perm: str) -> None:
    """Raise unless ``actor`` holds ``perm`` (the system actor acts for jobs)."""
    if is_system_actor(actor):
        return
    if not getattr(actor, "is_active", False) or not actor.has_perm(perm):
        raise DispatchPermissionDenied()


def require_warehouse_access(actor, warehouse: Warehouse) -> None:
    """Raise "not found" unless the warehouse is inside the actor's data scope.

    Warehouse clerks hold an object grant on their warehouse (``dispatch.work_warehouse``);
    ops roles see warehouses of their regions; the system actor works everywhere.
    """
    if is_system_actor(actor):
        return
    if not scope_queryset(actor, Warehouse.objects.filter(pk=warehouse.pk)).exists():
        raise DispatchNotFound()


@dataclass(frozen=True)
class SkuLine:
    sku_id: int
    sku_code: str
    quantity: int


def _line_parts(line) -> tuple[object, object]:
    if isinstance(line, dict):
        return line.get("sku"), line.get("quantity")
    if isinstance(line, list | tuple) and len(line) == 2:
        return line[0], line[1]
    raise InvalidDispatchInput(fields={"lines": [_("Each line needs a SKU and a quantity.")]})


def _too_many() -> InvalidDispatchInput:
    return InvalidDispatchInput(
        fields={"lines": [_("Quantities must be at most %(n)s.") % {"n": MAX_LINE_QUANTITY}]}
    )


def parse_lines(lines: Iterable, *, allow_zero: bool = False, merge: bool = True) -> list[SkuLine]:
    """Resolve ``[(sku or sku code, quantity)]`` (or dicts) in one query.

    Quantities must be whole numbers ≥ 1 (≥ 0 with ``allow_zero``) and at most
    ``MAX_LINE_QUANTITY`` (also after adding up); lines of the same SKU are added up
    when ``merge``, else a repeated SKU is refused.
    Raises ``InvalidDispatchInput`` naming the offending field.
    """
    from catalog.models import Sku

    raw = [_line_parts(line) for line in (lines or [])]
    if not raw:
        raise InvalidDispatchInput(fields={"lines": [_("At least one line is needed.")]})
    codes, ids = set(), set()
    for sku, quantity in raw:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidDispatchInput(fields={"lines": [_("Quantities must be whole numbers.")]})
        if quantity < (0 if allow_zero else 1):
            raise InvalidDispatchInput(
                fields={
                    "lines": [
                        _("Quantities must be at least %(n)s.") % {"n": 0 if allow_zero else 1}
                    ]
                }
            )
        if quantity > MAX_LINE_QUANTITY:
            raise _too_many()
        if isinstance(sku, Sku):
            ids.add(sku.pk)
        elif isinstance(sku, int) and not isinstance(sku, bool):
            ids.add(sku)
        elif isinstance(sku, str) and sku.strip():
            codes.add(sku.strip())
        else:
            raise InvalidDispatchInput(fields={"lines": [_("Each line needs a SKU code.")]})
    found = list(Sku.objects.filter(Q(code__in=codes) | Q(pk__in=ids)).values_list("pk", "code"))
    by_code = {code: pk for pk, code in found}
    by_id = dict(found)
    result: dict[int, SkuLine] = {}
    for sku, quantity in raw:
        if isinstance(sku, Sku):
            sku_id = sku.pk
        elif isinstance(sku, int):
            sku_id = sku
        else:
            sku_id = by_code.get(sku.strip())
        if sku_id is None or sku_id not in by_id:
            raise InvalidDispatchInput(
                fields={"lines": [_("Unknown SKU: %(sku)s") % {"sku": sku}]},
                code="unknown_sku",
            )
        if sku_id in result:
            if not merge:
                raise InvalidDispatchInput(
                    fields={"lines": [_("SKU %(sku)s appears twice.") % {"sku": by_id[sku_id]}]}
                )
            quantity += result[sku_id].quantity
            if quantity > MAX_LINE_QUANTITY:
                raise _too_many()
        result[sku_id] = SkuLine(sku_id, by_id[sku_id], quantity)
    return list(result.values())


def stock_rows(warehouse_id: int, sku_ids: Iterable[int]) -> dict[int, Stock]:
    """Return ``{sku_id: Stock}`` for the warehouse, creating missing (zero) rows."""
    sku_ids = sorted(set(sku_ids))
    Stock.objects.bulk_create(
        [Stock(warehouse_id=warehouse_id, sku_id=sku_id) for sku_id in sku_ids],
        ignore_conflicts=True,
    )
    return {
        stock.sku_id: stock
        for stock in Stock.objects.filter(warehouse_id=warehouse_id, sku_id__in=sku_ids)
    }


def guard_for(on_hand: int, reserved: int, in_transit: int) -> Q:
    """The ``WHERE`` that keeps every figure valid after adding the deltas.

    Mirrors the CHECK constraints so a refused change is a clean zero-row update
    instead of an integrity error: ``on_hand ≥ 0``, ``0 ≤ reserved ≤ on_hand``,
    ``in_transit ≥ 0`` — each after the change.
    """
    condition = Q()
    if on_hand < 0:
        condition &= Q(on_hand__gte=-on_hand)
    if reserved < 0:
        condition &= Q(reserved__gte=-reserved)
    if in_transit < 0:
        condition &= Q(in_transit__gte=-in_transit)
    if reserved - on_hand > 0:
        condition &= Q(on_hand__gte=F("reserved") + (reserved - on_hand))
    return condition


def stock_change(
    *,
    stock_id: int,
    on_hand: int = 0,
    reserved: int = 0,
    in_transit: int = 0,
    extra_guard: Q | None = None,
) -> bool:
    """Apply deltas to one stock row with one conditional ``UPDATE``; ``False`` if refused.

    Never read-then-write: the database re-checks the condition on the locked row,
    so concurrent changes cannot push a figure out of range.
    """
    condition = guard_for(on_hand, reserved, in_transit)
    if extra_guard is not None:
        condition &= extra_guard
    updates = {}
    if on_hand:
        updates["on_hand"] = F("on_hand") + on_hand
    if reserved:
        updates["reserved"] = F("reserved") + reserved
    if in_transit:
        updates["in_transit"] = F("in_transit") + in_transit
    if not updates:
        return True
    updates["updated_at"] = timezone.now()
    return Stock.objects.filter(pk=stock_id).filter(condition).update(**updates) == 1


def movement(
    *,
    stock_id: int,
    kind: str,
    reference_type: str,
    reference_no: str,
    actor,
    on_hand: int = 0,
    reserved: int = 0,
    in_transit: int = 0,
    note: str = "",
) -> StockMovement:
    return StockMovement(
        stock_id=stock_id,
        kind=kind,
        on_hand_delta=on_hand,
        reserved_delta=reserved,
        in_transit_delta=in_transit,
        reference_type=reference_type,
        reference_no=reference_no,
        actor=actor,
        note=note[:200],
    )


def apply_changes(changes: list[dict], *, actor, reference_type: str, reference_no: str) -> None:
    """Apply several ledger changes in stock-id order (no deadlocks), all or nothing.

    Each change is ``{"stock_id", "kind", "on_hand", "reserved", "in_transit"}``.
    Raises ``InsufficientStock`` (the caller's transaction rolls back) when one is refused.
    """
    rows = []
    for change in sorted(changes, key=lambda c: c["stock_id"]):
        deltas = {k: change.get(k, 0) for k in ("on_hand", "reserved", "in_transit")}
        if not stock_change(stock_id=change["stock_id"], **deltas):
            raise InsufficientStock(extra={"stock_id": change["stock_id"]})
        rows.append(
            movement(
                stock_id=change["stock_id"],
                kind=change["kind"],
                reference_type=reference_type,
                reference_no=reference_no,
                actor=actor,
                note=change.get("note", ""),
                **deltas,
            )
        )
    StockMovement.objects.bulk_create(rows)
