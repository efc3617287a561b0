"""What a coupon or points take off an order: pure calculations for the orders app.

Nothing here writes; the writes (lock, use, spend) are services. The orders app
calls :func:`coupon_applicable_amount` and :func:`coupon_discount` while pricing a
cart, and :func:`points_to_amount` through ``points_deduction_quote``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from mall.core.money import CENT, ZERO, to_money
from ops.parameters import get_parameter

from .exceptions import CouponNotUsable
from .models import Coupon, CouponTemplate


def coupon_covered_categories(template: CouponTemplate) -> set[int] | None:
    """Category ids the template applies to (its categories and their sub-categories),
    or None when it applies to the whole store."""
    from catalog.models import Category

    chosen = set(template.categories.values_list("pk", flat=True))
    if not chosen:
        return None
    covered = set(chosen)
    frontier = chosen
    for _depth in range(Category.MAX_LEVEL - 1):
        frontier = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        covered |= frontier
    return covered


def coupon_applicable_amount(*, coupon: Coupon, lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    """Sum the amounts of order lines the coupon applies to.

    ``lines`` are ``(category_id, line_amount)`` pairs (for the orders app); a coupon
    without categories applies to every line.
    """
    covered = coupon_covered_categories(coupon.template)
    return to_money(
        sum(
            (
                to_money(amount)
                for category_id, amount in lines
                if covered is None or category_id in covered
            ),
            ZERO,
        )
    )


@dataclass(frozen=True)
class CouponDiscount:
    goods_discount_amount: Decimal
    shipping_discount_amount: Decimal


def coupon_discount(*, coupon: Coupon, goods_amount, shipping_amount=ZERO) -> CouponDiscount:
    """Work out what ``coupon`` takes off an order's eligible goods and shipping.

    ``goods_amount`` is the amount of the goods the coupon applies to (its
    categories). Raises ``CouponNotUsable`` below the template's threshold.
    """
    template = coupon.template
    goods = to_money(goods_amount)
    shipping = to_money(shipping_amount)
    if goods < template.threshold_amount:
        raise CouponNotUsable(
            _("The order does not reach the coupon's minimum amount."),
            extra={"threshold_amount": f"{template.threshold_amount:.2f}"},
        )
    if template.kind == CouponTemplate.Kind.FREE_SHIPPING:
        return CouponDiscount(ZERO, shipping)
    if template.kind == CouponTemplate.Kind.AMOUNT_OFF:
        off = min(template.discount_amount, goods)
    else:
        off = (goods * (1 - template.discount_rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    if template.max_discount_amount is not None:
        off = min(off, template.max_discount_amount)
    return CouponDiscount(to_money(off), ZERO)


def points_to_amount(points: int) -> Decimal:
    """Money value of ``points`` at checkout, rounded down to the cent."""
    per_yuan = get_parameter("members.points_per_yuan")
    return (Decimal(points) / Decimal(per_yuan)).quantize(CENT, rounding=ROUND_DOWN)


def growth_for_purchase(paid_amount) -> int:
    """Return the growth a payment earns: paid amount × coefficient, rounded down."""
    coefficient = get_parameter("members.growth_purchase_coefficient")
    return int((to_money(paid_amount) * coefficient).to_integral_value(rounding=ROUND_DOWN))
