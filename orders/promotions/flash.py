"""Flash-sale sessions (秒杀): life of a session and the placement's part in it.

Owned by the flash work (docs/FLASH_SALE.md). ``order_place`` calls, in this order:

1. ``flash_cart_check`` before pricing: ``None`` for an ordinary order; for a flash
   order the running session's items of the cart (400 / 409 otherwise);
2. ``flash_gate_enter`` after the risk check, before the transaction: the Redis gate
   (409 ``sold_out`` / ``limit_exceeded`` without touching PostgreSQL);
3. ``flash_claim`` inside the placement transaction: the database's conditional
   updates (the authority);
4. ``flash_gate_undo`` when anything after step 2 fails.

Cancellation calls ``flash_release_for_order`` inside its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass
class FlashCart:
    """A flash order's session and its items by SKU id (with the flash price)."""

    session: Any
    items: dict[int, Any] = field(default_factory=dict)  # sku_id → FlashSessionItem

    def prices(self) -> dict[int, Decimal]:
        return {sku_id: item.flash_price_amount for sku_id, item in self.items.items()}


def flash_cart_check(*, member, session_id, lines, now: datetime) -> FlashCart | None:
    """``None`` when ``session_id`` is ``None``; else the running session's items of ``lines``."""
    if session_id is None:
        return None
    raise NotImplementedError("flash sessions: built by the flash work")


def flash_gate_enter(*, member, cart: FlashCart | None, lines) -> Any:
    """Take the units at the Redis gate; ``None`` when there is no gate to pass."""
    return None


def flash_gate_undo(*, gate_pass: Any) -> None:
    """Give back what ``flash_gate_enter`` took (the order was not placed)."""
    return None


def flash_claim(*, actor, member, cart: FlashCart | None, order, lines) -> None:
    """Inside the placement transaction: the database's conditional updates."""
    return None


def flash_release_for_order(*, actor, order) -> None:
    """Inside a cancellation: return the order's units to its session (and the gate)."""
    return None
