"""The pure planner of pre-dispatch and allocation: warehouses and carriers.

(Named ``planner`` so it is not mistaken for ``dispatch.services.allocation``,
the service that reads the figures, calls this planner and locks the stock.)

Rules (DESIGN.md §5 dispatch), in order:

1. **Covering tier first.** Only warehouses whose coverage includes the delivery
   province are candidates. The plan uses tier-1 warehouses only if they can fill
   the order; otherwise tiers 1–2; otherwise tiers 1–3.
2. **Fewest shipments.** Within the allowed tiers, the smallest set of warehouses
   that together hold enough sellable stock for every line (one shipment each).
3. **Delivery days.** Between sets of equal size: the lower sum of tiers, then the
   shorter promised delivery (the slowest shipment), then the lower warehouse ids.

Inside the chosen set each line is taken from the best warehouse first (tier,
days, id) and the rest from the next, so a line is split only when it must be.

Nothing here touches the database: the services feed it a snapshot and then lock
the chosen quantities with conditional updates (and re-plan if they lost a race).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Carrier, CarrierRule

# Searching every subset is exponential; coverage lists are short, but bound it.
MAX_CANDIDATES = 12


@dataclass(frozen=True)
class Candidate:
    """A warehouse that covers the province, with what it can sell per SKU."""

    warehouse_id: int
    tier: int
    promised_days: int
    available: dict[int, int]  # sku id → sellable units

    @property
    def rank(self) -> tuple[int, int, int]:
        return (self.tier, self.promised_days, self.warehouse_id)


@dataclass
class PlannedShipment:
    warehouse_id: int
    tier: int
    promised_days: int
    lines: dict[int, int] = field(default_factory=dict)  # sku id → quantity


@dataclass
class Plan:
    shipments: list[PlannedShipment]

    @property
    def promised_days(self) -> int:
        return max((s.promised_days for s in self.shipments), default=0)

    def quantities(self) -> dict[tuple[int, int], int]:
        """Return ``{(warehouse id, sku id): quantity}``."""
        return {
            (s.warehouse_id, sku_id): quantity
            for s in self.shipments
            for sku_id, quantity in s.lines.items()
        }


def _can_fill(subset: tuple[Candidate, ...], demand: dict[int, int]) -> bool:
    return all(
        sum(c.available.get(sku_id, 0) for c in subset) >= quantity
        for sku_id, quantity in demand.items()
    )


def _subset_key(subset: tuple[Candidate, ...]) -> tuple:
    return (
        sum(c.tier for c in subset),
        max(c.promised_days for c in subset),
        sorted(c.warehouse_id for c in subset),
    )


def _assign(subset: tuple[Candidate, ...], demand: dict[int, int]) -> Plan:
    ordered = sorted(subset, key=lambda c: c.rank)
    shipments = {
        c.warehouse_id: PlannedShipment(c.warehouse_id, c.tier, c.promised_days) for c in ordered
    }
    for sku_id, quantity in sorted(demand.items()):
        remaining = quantity
        for candidate in ordered:
            if remaining == 0:
                break
            take = min(remaining, candidate.available.get(sku_id, 0))
            if take > 0:
                shipments[candidate.warehouse_id].lines[sku_id] = take
                remaining -= take
    return Plan([s for s in shipments.values() if s.lines])


def plan_allocation(candidates: list[Candidate], demand: dict[int, int]) -> Plan | None:
    """Choose warehouses for ``demand`` (sku id → units); ``None`` if stock is short."""
    demand = {sku_id: quantity for sku_id, quantity in demand.items() if quantity > 0}
    if not demand:
        return Plan([])
    useful = [c for c in candidates if any(c.available.get(sku_id, 0) > 0 for sku_id in demand)]
    for tier_limit in (1, 2, 3):
        pool = sorted((c for c in useful if c.tier <= tier_limit), key=lambda c: c.rank)
        pool = pool[:MAX_CANDIDATES]
        if not pool or not _can_fill(tuple(pool), demand):
            continue
        for size in range(1, len(pool) + 1):
            fitting = [s for s in combinations(pool, size) if _can_fill(s, demand)]
            if fitting:
                return _assign(min(fitting, key=_subset_key), demand)
    return None


def choose_carrier(
    rules: list[CarrierRule], *, warehouse_id: int, province_id: int, units: int
) -> tuple[Carrier | None, Decimal]:
    """Pick the cheapest rule that covers the route; ties: more specific, priority, id.

    ``rules`` are the active carriers' rules (loaded once per plan by the service).
    """
    matching = [
        rule
        for rule in rules
        if rule.warehouse_id in (None, warehouse_id) and rule.province_id in (None, province_id)
    ]
    if not matching:
        return None, Decimal("0.00")
    best = min(
        matching,
        key=lambda r: (
            r.cost_for(units),
            -((r.warehouse_id is not None) + (r.province_id is not None)),
            r.priority,
            r.pk,
        ),
    )
    return best.carrier, best.cost_for(units)
