"""Campaigns (满减 / 满折 / 满赠): life, the price step and the budget.

Owned by the campaign work. ``orders.pricing.price_order`` calls ``campaign_step``
(after the goods, before the member level discount); ``order_place`` calls
``campaign_budget_take`` inside its transaction; cancellation calls
``campaign_budget_return``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass
class CampaignOutcome:
    """What the running campaigns give a cart: per-line discounts and gift lines."""

    discounts: dict[int, Decimal] = field(default_factory=dict)  # line index → amount
    line_campaigns: dict[int, Any] = field(default_factory=dict)  # line index → Campaign
    gifts: list[tuple[Any, int, Any]] = field(default_factory=list)  # (Sku, qty, Campaign)
    usages: list[dict] = field(default_factory=list)  # {"campaign", "discount", "gift_cost"}


def campaign_step(*, lines, now: datetime) -> CampaignOutcome:
    """The running campaigns' discounts and gifts for priced ``lines`` (reads only)."""
    return CampaignOutcome()


def campaign_budget_take(*, actor, order, usages: list[dict]) -> None:
    """Inside the placement transaction: take each usage from its campaign's budget."""
    return None


def campaign_budget_return(*, actor, order) -> None:
    """Inside a cancellation: give the order's usages back to their budgets."""
    return None
