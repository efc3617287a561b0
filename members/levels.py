"""The level table (VIP1–VIP7): default rows, thresholds from system parameters, and
the pure rule "which rank does this much growth reach"."""

from __future__ import annotations

from decimal import Decimal

from ops.parameters import get_parameter

from .models import Level
from .parameters import LEVEL_COUNT, level_threshold_key

DEFAULT_LEVELS = [
    # rank, code, name, discount rate, free shipping, birthday points
    (1, "VIP1", "普通会员", Decimal("1.000"), False, 0),
    (2, "VIP2", "铜牌会员", Decimal("0.990"), False, 50),
    (3, "VIP3", "银牌会员", Decimal("0.980"), False, 100),
    (4, "VIP4", "金牌会员", Decimal("0.970"), True, 200),
    (5, "VIP5", "铂金会员", Decimal("0.950"), True, 300),
    (6, "VIP6", "钻石会员", Decimal("0.930"), True, 500),
    (7, "VIP7", "至尊会员", Decimal("0.900"), True, 1000),
]


def levels_ensure() -> None:
    """Create any missing level row with its default benefits (migration 0002 does it
    on a fresh database; a flushed test database needs it again). Reference data,
    like a migration: not audited."""
    if Level.objects.count() >= LEVEL_COUNT:
        return
    for rank, code, name, rate, free_shipping, points in DEFAULT_LEVELS:
        Level.objects.get_or_create(
            rank=rank,
            defaults={
                "code": code,
                "name": name,
                "discount_rate": rate,
                "free_shipping": free_shipping,
                "birthday_points": points,
            },
        )


def level_thresholds() -> dict[int, int]:
    """Return ``{rank: growth needed}`` for VIP1–VIP7 from the system parameters."""
    return {rank: get_parameter(level_threshold_key(rank)) for rank in range(1, LEVEL_COUNT + 1)}


def level_rank_for_growth(growth: int, thresholds: dict[int, int] | None = None) -> int:
    """Return the highest rank whose threshold ``growth`` reaches (at least 1)."""
    thresholds = thresholds or level_thresholds()
    reached = [rank for rank, needed in thresholds.items() if growth >= needed]
    return max(reached, default=1)
