"""The one price calculation of an order (preview, placement and the admin call it).

:func:`price_order` reads and never writes. The steps, in this order (each shown
line by line in ``PriceQuote.steps``):

1. **goods** — per line the unit price is the SKU's running promotion price
   (``catalog.PromotionPrice`` active and ``starts_at <= now < ends_at``; the lowest
   when several run; the 30-day rule was checked when it was created), else the
   sale price; line amount = unit price × quantity.
   A flash order's lines take the session's flash price instead
   (``flash_items``, from ``orders.promotions.flash``) — or the SKU's price of the
   moment when that is lower (a flash buyer never pays more than anyone else).
1b. **campaign** — ``orders.promotions.campaigns.campaign_step``: the running
   campaigns' discounts (满减 / 满折), already split to the cent over the lines they
   cover, and their gifts, appended as lines priced 0 (``is_gift``) that take stock.
2. **member level discount** — (goods − campaign) × (1 − ``member.level.discount_rate``),
   rounded half-up once, split over the lines by line amount after the campaign.
3. **coupon** — the member's own coupon, available and valid now: amount off /
   percentage off the goods it applies to (its categories), measured after the
   level discount (``members.pricing``); split over the lines it applies to. A
   free-shipping coupon takes the shipping off instead (step 6).
4. **points** — ``members.services.points.points_deduction_quote`` on the goods
   after level discount and coupon (rate and cap are members' parameters); split
   over the lines.
5. **shipping** — the default ``FreightTemplate`` (its ``FreightRule`` for the
   delivery province's region overrides the fees): first weight fee +
   ceil(extra weight / step) × extra fee, on the total weight of the physical lines
   (virtual goods ship nothing). No template, or only virtual lines: no fee.
6. **shipping discount** — the whole fee, when the goods after level discount and
   coupon reach ``orders.free_shipping_threshold``, or the member's level ships
   free, or a free-shipping coupon is used.

Every order-level discount is split with :func:`mall.core.money.split_amount`
(weights = the line amounts after the earlier steps), so the lines' parts add up to
the order's parts to the cent, and ``payable = goods − campaign − level − coupon −
points + shipping − shipping discount`` = Σ line payable + shipping − shipping discount.
Rounding happens only in ``to_money`` (half-up) and ``split_amount``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mall.core.money import ZERO, split_amount, to_money

STEP_LABELS = {
    "goods": _("Goods"),
    "promotion_discount": _("Campaign discount"),
    "level_discount": _("Member level discount"),
    "coupon_discount": _("Coupon"),
    "points_deduction": _("Points deduction"),
    "shipping": _("Shipping fee"),
    "shipping_discount": _("Free shipping"),
    "total": _("Payable"),
}


@dataclass
class QuoteLine:
    """One priced line: the SKU, its prices and its share of every discount."""

    sku: object
    quantity: int
    list_price_amount: Decimal
    unit_price_amount: Decimal
    line_amount: Decimal
    is_promotion: bool = False
    flash_item: object | None = None
    campaign: object | None = None
    is_gift: bool = False
    promotion_discount_amount: Decimal = ZERO
    level_discount_amount: Decimal = ZERO
    coupon_discount_amount: Decimal = ZERO
    points_deduction_amount: Decimal = ZERO

    @property
    def payable_amount(self) -> Decimal:
        return to_money(
            self.line_amount
            - self.promotion_discount_amount
            - self.level_discount_amount
            - self.coupon_discount_amount
            - self.points_deduction_amount
        )

    @property
    def weight_grams(self) -> int:
        return int(self.sku.weight_grams or 0) * self.quantity

    @property
    def is_virtual(self) -> bool:
        return bool(self.sku.product.is_virtual)

    def as_dict(self) -> dict:
        return {
            "sku": self.sku.code,
            "title": self.sku.product.title,
            "spec": self.sku.spec or {},
            "quantity": self.quantity,
            "list_price": f"{self.list_price_amount:.2f}",
            "unit_price": f"{self.unit_price_amount:.2f}",
            "is_promotion": self.is_promotion,
            "line_amount": f"{self.line_amount:.2f}",
            "is_gift": self.is_gift,
            "flash_item_id": getattr(self.flash_item, "pk", None),
            "campaign_id": getattr(self.campaign, "pk", None),
            "promotion_discount": f"{self.promotion_discount_amount:.2f}",
            "level_discount": f"{self.level_discount_amount:.2f}",
            "coupon_discount": f"{self.coupon_discount_amount:.2f}",
            "points_deduction": f"{self.points_deduction_amount:.2f}",
            "payable": f"{self.payable_amount:.2f}",
        }


@dataclass
class PriceQuote:
    """What an order costs, line by line and step by step (matches ``Order``'s money)."""

    lines: list[QuoteLine]
    steps: list[dict] = field(default_factory=list)
    goods_amount: Decimal = ZERO
    promotion_discount_amount: Decimal = ZERO
    level_discount_amount: Decimal = ZERO
    coupon_discount_amount: Decimal = ZERO
    points_deduction_amount: Decimal = ZERO
    points_used: int = 0
    # what the order takes of each campaign's budget: {"campaign", "discount", "gift_cost"}
    campaign_usages: list = field(default_factory=list)
    max_points: int = 0
    shipping_amount: Decimal = ZERO
    shipping_discount_amount: Decimal = ZERO
    total_amount: Decimal = ZERO
    coupon_id: int | None = None
    free_shipping_reason: str = ""

    def order_fields(self) -> dict:
        """The ``Order`` money fields of this quote."""
        return {
            "goods_amount": self.goods_amount,
            "promotion_discount_amount": self.promotion_discount_amount,
            "level_discount_amount": self.level_discount_amount,
            "coupon_discount_amount": self.coupon_discount_amount,
            "points_deduction_amount": self.points_deduction_amount,
            "points_used": self.points_used,
            "shipping_amount": self.shipping_amount,
            "shipping_discount_amount": self.shipping_discount_amount,
            "total_amount": self.total_amount,
        }

    def as_dict(self) -> dict:
        """JSON-ready (money as strings): stored on ``Order.pricing`` and shown in the API."""
        return {
            "lines": [line.as_dict() for line in self.lines],
            "steps": [
                {"code": s["code"], "label": str(s["label"]), "amount": f"{s['amount']:.2f}"}
                for s in self.steps
            ],
            "goods_amount": f"{self.goods_amount:.2f}",
            "promotion_discount_amount": f"{self.promotion_discount_amount:.2f}",
            "level_discount_amount": f"{self.level_discount_amount:.2f}",
            "coupon_discount_amount": f"{self.coupon_discount_amount:.2f}",
            "points_deduction_amount": f"{self.points_deduction_amount:.2f}",
            "points_used": self.points_used,
            "max_points": self.max_points,
            "shipping_amount": f"{self.shipping_amount:.2f}",
            "shipping_discount_amount": f"{self.shipping_discount_amount:.2f}",
            "total_amount": f"{self.total_amount:.2f}",
            "coupon_id": self.coupon_id,
            "free_shipping_reason": self.free_shipping_reason,
        }


def promotion_prices(sku_ids: Sequence[int], *, now: datetime) -> dict[int, Decimal]:
    """The lowest running promotion price of each SKU that has one."""
    from catalog.models import PromotionPrice

    found: dict[int, Decimal] = {}
    rows = PromotionPrice.objects.filter(
        sku_id__in=list(sku_ids),
        status=PromotionPrice.Status.ACTIVE,
        starts_at__lte=now,
        ends_at__gt=now,
    ).values_list("sku_id", "price_amount")
    for sku_id, price in rows:
        if sku_id not in found or price < found[sku_id]:
            found[sku_id] = price
    return found


def freight_fee(*, weight_grams: int, region_id: int | None) -> Decimal:
    """Shipping by the default freight template (the region's rule overrides its fees)."""
    from .models import FreightRule, FreightTemplate

    template = FreightTemplate.objects.filter(is_default=True).first()
    if template is None:
        return ZERO
    first_fee, extra_fee = template.first_fee_amount, template.extra_fee_amount
    rule = FreightRule.objects.filter(template=template, region_id=region_id).first()
    if rule is not None:
        first_fee, extra_fee = rule.first_fee_amount, rule.extra_fee_amount
    extra = max(0, int(weight_grams) - int(template.first_weight_grams))
    steps = math.ceil(extra / template.extra_weight_grams) if extra else 0
    return to_money(first_fee + extra_fee * steps)


def _minus(amount: Decimal) -> Decimal:
    """``-amount`` for display, without a negative zero."""
    return -amount if amount else ZERO


def _spread(total: Decimal, lines: list[QuoteLine], weights: list[Decimal], attr: str) -> None:
    """Split ``total`` over ``lines`` by ``weights`` into each line's ``attr``."""
    if total <= 0 or not any(w > 0 for w in weights):
        return
    for line, share in zip(lines, split_amount(total, weights), strict=True):
        setattr(line, attr, to_money(getattr(line, attr) + share))


def _coupon_step(*, member, coupon, lines, now):
    """Check the coupon and work out (goods discount, is free shipping, weights)."""
    from members.exceptions import CouponNotUsable
    from members.models import Coupon, CouponTemplate
    from members.pricing import coupon_covered_categories, coupon_discount

    def refuse(message=None):
        text = str(message or CouponNotUsable.default_message)
        raise CouponNotUsable(text, fields={"coupon_id": [text]})

    if coupon.member_id != member.pk:
        refuse()
    if coupon.status != Coupon.Status.AVAILABLE or not (
        coupon.valid_from <= now < coupon.valid_until
    ):
        refuse(gettext("The coupon is not available now."))
    template = coupon.template
    if not template.is_active:
        refuse(gettext("The coupon is not available now."))
    covered = coupon_covered_categories(template)
    weights = [
        line.line_amount - line.promotion_discount_amount - line.level_discount_amount
        if covered is None or line.sku.product.category_id in covered
        else ZERO
        for line in lines
    ]
    applicable = to_money(sum(weights, ZERO))
    try:
        result = coupon_discount(coupon=coupon, goods_amount=applicable, shipping_amount=ZERO)
    except CouponNotUsable as exc:
        refuse(exc.message)
    free_shipping = template.kind == CouponTemplate.Kind.FREE_SHIPPING
    return result.goods_discount_amount, free_shipping, weights


def price_order(
    *,
    member,
    lines: Sequence[tuple[object, int]],
    province,
    coupon=None,
    points: int = 0,
    channel=None,
    now: datetime | None = None,
    flash_items: dict | None = None,
) -> PriceQuote:
    """Price ``lines`` ([(Sku, quantity)]) for ``member`` delivered to ``province``.

    Reads only. Raises ``CouponNotUsable`` (409, field ``coupon_id``) for a coupon
    that is not the member's, not available or valid now, or whose threshold is not
    reached, and the points errors of ``points_deduction_quote`` (``points_cap_exceeded``,
    ``invalid_points``). ``channel`` is accepted for channel-specific pricing to come
    (every channel prices alike today). ``flash_items`` ({sku id: FlashSessionItem})
    prices a flash order's lines at their flash price.
    """
    from members.services.points import points_deduction_quote
    from ops.parameters import get_parameter

    from .parameters import FREE_SHIPPING_THRESHOLD
    from .promotions.campaigns import campaign_step

    now = now or timezone.now()
    flash_items = flash_items or {}
    promos = promotion_prices([sku.pk for sku, _q in lines], now=now)
    quote_lines = []
    for sku, quantity in lines:
        flash = flash_items.get(sku.pk)
        unit = promos.get(sku.pk, sku.price_amount)
        if flash is not None:
            # the flash price, unless the SKU sells lower now (never charge more)
            unit = min(unit, flash.flash_price_amount)
        quote_lines.append(
            QuoteLine(
                sku=sku,
                quantity=int(quantity),
                list_price_amount=to_money(sku.price_amount),
                unit_price_amount=to_money(unit),
                line_amount=to_money(unit * int(quantity)),
                is_promotion=flash is not None or sku.pk in promos,
                flash_item=flash,
            )
        )

    # 1b. campaigns: discounts split over the lines they cover, gifts as lines at 0
    outcome = campaign_step(lines=quote_lines, now=now, province=province)
    for index, amount in outcome.discounts.items():
        quote_lines[index].promotion_discount_amount = to_money(amount)
        quote_lines[index].campaign = outcome.line_campaigns.get(index)
    for gift_sku, gift_quantity, gift_campaign in outcome.gifts:
        quote_lines.append(
            QuoteLine(
                sku=gift_sku,
                quantity=int(gift_quantity),
                list_price_amount=to_money(gift_sku.price_amount),
                unit_price_amount=ZERO,
                line_amount=ZERO,
                is_promotion=True,
                campaign=gift_campaign,
                is_gift=True,
            )
        )
    quote = PriceQuote(lines=quote_lines, campaign_usages=list(outcome.usages))
    goods = to_money(sum((line.line_amount for line in quote_lines), ZERO))
    quote.goods_amount = goods
    campaign_off = to_money(sum((line.promotion_discount_amount for line in quote_lines), ZERO))
    quote.promotion_discount_amount = campaign_off

    # 2. member level discount (on the goods after the campaign)
    rate = Decimal(member.level.discount_rate)
    after_campaign = [line.line_amount - line.promotion_discount_amount for line in quote_lines]
    level = to_money((goods - campaign_off) * (Decimal("1") - rate))
    _spread(level, quote_lines, after_campaign, "level_discount_amount")
    quote.level_discount_amount = level

    # 3. coupon
    free_shipping_coupon = False
    if coupon is not None:
        off, free_shipping_coupon, weights = _coupon_step(
            member=member, coupon=coupon, lines=quote_lines, now=now
        )
        _spread(off, quote_lines, weights, "coupon_discount_amount")
        quote.coupon_discount_amount = off
        quote.coupon_id = coupon.pk

    # 4. points (on the goods after level discount and coupon)
    after_discounts = to_money(goods - campaign_off - level - quote.coupon_discount_amount)
    deduction = points_deduction_quote(
        actor=member, member=member, order_amount=after_discounts, points=int(points or 0)
    )
    quote.max_points = deduction.max_points
    if deduction.points:
        remaining = [line.payable_amount for line in quote_lines]
        _spread(deduction.deduction_amount, quote_lines, remaining, "points_deduction_amount")
        quote.points_used = deduction.points
        quote.points_deduction_amount = deduction.deduction_amount

    # 5. shipping and 6. free shipping
    physical = [line for line in quote_lines if not line.is_virtual]
    region_id = getattr(province, "region_id", None)
    shipping = (
        freight_fee(weight_grams=sum(line.weight_grams for line in physical), region_id=region_id)
        if physical
        else ZERO
    )
    threshold = Decimal(get_parameter(FREE_SHIPPING_THRESHOLD))
    reason = ""
    if shipping > 0:
        if member.level.free_shipping:
            reason = "level"
        elif after_discounts >= threshold:
            reason = "threshold"
        elif free_shipping_coupon:
            reason = "coupon"
    quote.shipping_amount = shipping
    quote.shipping_discount_amount = shipping if reason else ZERO
    quote.free_shipping_reason = reason

    quote.total_amount = to_money(
        sum((line.payable_amount for line in quote_lines), ZERO)
        + quote.shipping_amount
        - quote.shipping_discount_amount
    )
    quote.steps = [
        {"code": "goods", "label": STEP_LABELS["goods"], "amount": goods},
        {
            "code": "promotion_discount",
            "label": STEP_LABELS["promotion_discount"],
            "amount": _minus(campaign_off),
        },
        {"code": "level_discount", "label": STEP_LABELS["level_discount"], "amount": _minus(level)},
        {
            "code": "coupon_discount",
            "label": STEP_LABELS["coupon_discount"],
            "amount": _minus(quote.coupon_discount_amount),
        },
        {
            "code": "points_deduction",
            "label": STEP_LABELS["points_deduction"],
            "amount": _minus(quote.points_deduction_amount),
        },
        {"code": "shipping", "label": STEP_LABELS["shipping"], "amount": shipping},
        {
            "code": "shipping_discount",
            "label": STEP_LABELS["shipping_discount"],
            "amount": _minus(quote.shipping_discount_amount),
        },
        {"code": "total", "label": STEP_LABELS["total"], "amount": quote.total_amount},
    ]
    return quote
