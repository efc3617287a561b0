"""Money: ``Decimal`` with two places, rounded half-up here and nowhere else.

API money fields are strings (``"299.00"``); models use :func:`MoneyField`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a two-place Decimal, rounding half-up.

    Floats are refused: they cannot represent most cent amounts exactly.
    Raises ``ValueError`` for floats, NaN, infinities and unparsable strings.
    """
    if isinstance(value, float):
        raise ValueError("money must not be a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a money amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a money amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(value: Decimal | int | str) -> str:
    return f"{to_money(value):.2f}"


def split_amount(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split ``total`` across ``weights`` so the parts add up to ``total`` exactly.

    Each part is ``total × weight / Σweights`` rounded down to the cent; the cents
    left over go one each to the parts with the largest remainders (ties to the
    earlier part). Used to spread an order-level discount over its lines.
    Raises ``ValueError`` for an empty or all-zero weight list or negative weights.
    """
    total = to_money(total)
    weights = [Decimal(w) for w in weights]
    if not weights or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not empty")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    cents = int(total / CENT)
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    raw = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(r) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for index in order[:left]:
        floors[index] += 1
    return [(Decimal(sign * f) * CENT).quantize(CENT) for f in floors]


def MoneyField(verbose_name=None, **kwargs) -> models.DecimalField:
    """A ``DecimalField(max_digits=14, decimal_places=2)``; name it ``*_amount``."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, **kwargs)
