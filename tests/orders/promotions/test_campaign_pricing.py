# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""The campaign step inside the one price calculation: a table of carts.

Each row names a campaign (kind, tiers, scope), the member's level, a coupon and
points; the test checks the campaign's discount and its split over the lines, then
the stacking order (campaign → level → coupon → points, each on what the earlier
steps left) and that every line's parts add up to the order's parts to the cent.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog import services as catalog_services
from catalog.models import Product
from mall.core.money import ZERO, to_money
from members.models import Level, Member
from orders.pricing import price_order
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    buyer,
    freight,
    give_coupon,
    give_points,
    on_shelf_sku,
)
from tests.orders.promotions.campaign_support import (  # noqa: F401 - fixtures
    approver,
    make_campaign,
    marketer,
    tier,
)

D = Decimal
PARTS = (
    "promotion_discount_amount",
    "level_discount_amount",
    "coupon_discount_amount",
    "points_deduction_amount",
)


@pytest.fixture
def cart(on_shelf_sku, category, actor):
    """Line a: 99.00 in the leaf category (root → middle → leaf); line b: 35.50 elsewhere."""
    other = catalog_services.category_seed(actor=actor, code="t-other", name="文具")
    a = on_shelf_sku(50, price="99.00", weight_grams=500)
    b = on_shelf_sku(50, price="35.50", weight_grams=200)
    Product.objects.filter(pk=b.product_id).update(category=other)
    b.product.refresh_from_db()
    gift = on_shelf_sku(10, price="15.00", weight_grams=100)
    return {"a": a, "b": b, "gift": gift, "leaf": category, "other": other}


# (id, campaign spec, cart {a: qty, b: qty}, level, coupon, points,
#  expected campaign discount per line [a, b], expected gifts)
TABLE = [
    (
        "full-reduction-first-tier-all-goods-vip2-amount-coupon-points",
        {"kind": "full_reduction", "tiers": [("199", "20", None), ("399", "50", None)]},
        {"a": 2, "b": 1},
        "VIP2",
        {"kind": "amount_off", "amount": "10.00", "threshold": "100.00"},
        1000,
        ["16.96", "3.04"],
        0,
    ),
    (
        "full-reduction-highest-tier-reached",
        {"kind": "full_reduction", "tiers": [("199", "20", None), ("399", "50", None)]},
        {"a": 4, "b": 1},
        "VIP1",
        None,
        0,
        ["45.89", "4.11"],
        0,
    ),
    (
        "full-reduction-on-a-parent-category-covers-its-sub-categories-only",
        {
            "kind": "full_reduction",
            "tiers": [("199", "20", None)],
            "scope": "categories",
            "root": True,
        },
        {"a": 3, "b": 1},
        "VIP2",
        {"kind": "percent_off", "rate": "0.90", "threshold": "0", "other": True},
        500,
        ["20.00", "0.00"],
        0,
    ),
    (
        "full-reduction-not-reached-by-the-covered-goods",
        {
            "kind": "full_reduction",
            "tiers": [("199", "20", None)],
            "scope": "categories",
            "root": True,
        },
        {"a": 2, "b": 3},
        "VIP1",
        {"kind": "amount_off", "amount": "5.00", "threshold": "0"},
        0,
        ["0.00", "0.00"],
        0,
    ),
    (
        "discount-ten-percent-off-vip2-percentage-coupon-on-a-category-points",
        {"kind": "discount", "tiers": [("100", None, "0.90")]},
        {"a": 2, "b": 1},
        "VIP2",
        {"kind": "percent_off", "rate": "0.95", "threshold": "0", "other": True},
        800,
        ["19.80", "3.55"],
        0,
    ),
    (
        "discount-rounded-half-up-once-and-split-to-the-cent",
        {"kind": "discount", "tiers": [("100", None, "0.95"), ("300", None, "0.85")]},
        {"a": 2, "b": 1},
        "VIP3",
        {"kind": "percent_off", "rate": "0.88", "threshold": "0"},
        333,
        ["9.90", "1.78"],
        0,
    ),
    (
        "sku-scope-covers-its-skus-only",
        {"kind": "full_reduction", "tiers": [("30", "5", None)], "scope": "skus"},
        {"a": 1, "b": 1},
        "VIP2",
        {"kind": "amount_off", "amount": "8.00", "threshold": "50.00"},
        100,
        ["0.00", "5.00"],
        0,
    ),
    (
        "gift-over-a-threshold-is-a-line-at-zero",
        {"kind": "gift", "tiers": [("100", None, None)]},
        {"a": 2, "b": 1},
        "VIP2",
        {"kind": "amount_off", "amount": "10.00", "threshold": "100.00"},
        1000,
        ["0.00", "0.00"],
        1,
    ),
]


def _set_level(member, code):
    Member.objects.filter(pk=member.pk).update(level=Level.objects.get(code=code))
    member.refresh_from_db()
    return member


@pytest.mark.parametrize(
    "spec, quantities, level, coupon_spec, points, expected_lines, expected_gifts",
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_the_campaign_step_stacks_before_level_coupon_and_points_to_the_cent(
    cart,
    buyer,
    give_coupon,
    give_points,
    freight,
    province,
    make_campaign,
    spec,
    quantities,
    level,
    coupon_spec,
    points,
    expected_lines,
    expected_gifts,
):
    member = _set_level(give_points(buyer(), 5000), level)
    tiers = [
        tier(threshold, off=off, rate=rate, gift=cart["gift"] if spec["kind"] == "gift" else None)
        | ({"gift_quantity": 1} if spec["kind"] == "gift" else {})
        for threshold, off, rate in spec["tiers"]
    ]
    scope = spec.get("scope", "all")
    categories = [cart["leaf"].parent.parent] if spec.get("root") else []
    skus = [cart["b"]] if scope == "skus" else []
    campaign = make_campaign(
        kind=spec["kind"], tiers=tiers, scope=scope, categories=categories, skus=skus
    )
    coupon = None
    if coupon_spec is not None:
        coupon = give_coupon(
            member,
            kind=coupon_spec["kind"],
            amount=coupon_spec.get("amount"),
            rate=coupon_spec.get("rate"),
            threshold=coupon_spec["threshold"],
            categories=[cart["other"]] if coupon_spec.get("other") else (),
        )

    quote = price_order(
        member=member,
        lines=[(cart["a"], quantities["a"]), (cart["b"], quantities["b"])],
        province=province("上海"),
        coupon=coupon,
        points=points,
    )

    lines = quote.lines
    # the campaign: its discount, split by line amount, and its gifts
    assert [f"{line.promotion_discount_amount:.2f}" for line in lines[:2]] == expected_lines
    campaign_off = sum((D(x) for x in expected_lines), ZERO)
    assert quote.promotion_discount_amount == campaign_off
    gifts = [line for line in lines if line.is_gift]
    assert len(gifts) == expected_gifts
    for gift in gifts:
        assert (gift.sku, gift.quantity, gift.line_amount, gift.campaign) == (
            cart["gift"],
            1,
            ZERO,
            campaign,
        )
        assert gift.unit_price_amount == ZERO and gift.payable_amount == ZERO
        assert gift.list_price_amount == D("15.00")
    for line in lines[:2]:
        if line.promotion_discount_amount > 0 or expected_gifts:
            assert line.campaign == campaign
    if campaign_off or expected_gifts:
        assert quote.campaign_usages == [
            {
                "campaign": campaign,
                "discount": campaign_off,
                "gift_cost": D("15.00") * expected_gifts,
            }
        ]
    else:
        assert quote.campaign_usages == []

    # stacking: each step works on what the earlier ones left
    goods = quote.goods_amount
    assert goods == sum((line.line_amount for line in lines), ZERO)
    rate = member.level.discount_rate
    assert quote.level_discount_amount == to_money((goods - campaign_off) * (1 - rate))
    if coupon is not None:
        covered = [
            line.line_amount - line.promotion_discount_amount - line.level_discount_amount
            for line in lines
            if not coupon_spec.get("other") or line.sku.product.category_id == cart["other"].pk
        ]
        applicable = sum(covered, ZERO)
        if coupon_spec["kind"] == "amount_off":
            assert quote.coupon_discount_amount == min(D(coupon_spec["amount"]), applicable)
        else:
            assert quote.coupon_discount_amount == to_money(
                applicable * (1 - D(coupon_spec["rate"]))
            )
    else:
        assert quote.coupon_discount_amount == ZERO
    after = goods - campaign_off - quote.level_discount_amount - quote.coupon_discount_amount
    assert quote.points_deduction_amount <= after
    assert quote.points_deduction_amount == D(quote.points_used) / 100
    codes = [step["code"] for step in quote.steps]
    assert codes[:5] == [
        "goods",
        "promotion_discount",
        "level_discount",
        "coupon_discount",
        "points_deduction",
    ]

    # every line's parts add up to the order's, to the cent
    for part in PARTS:
        assert sum((getattr(line, part) for line in lines), ZERO) == getattr(quote, part), part
    for line in lines:
        assert line.payable_amount == line.line_amount - sum(
            (getattr(line, part) for part in PARTS), ZERO
        )
        assert line.payable_amount >= 0
    assert quote.total_amount == (
        sum((line.payable_amount for line in lines), ZERO)
        + quote.shipping_amount
        - quote.shipping_discount_amount
    )
    assert quote.total_amount == (
        goods
        - quote.promotion_discount_amount
        - quote.level_discount_amount
        - quote.coupon_discount_amount
        - quote.points_deduction_amount
        + quote.shipping_amount
        - quote.shipping_discount_amount
    )
