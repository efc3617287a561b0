# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""The one price calculation: level discount, coupon, points, freight — to the cent."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.exceptions import ApplicationError
from members.exceptions import CouponNotUsable
from members.models import Level
from orders.pricing import price_order
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    buyer,
    freight,
    give_coupon,
    give_points,
    on_shelf_sku,
)

D = Decimal


def _level(member, code: str):
    from members.models import Member

    Member.objects.filter(pk=member.pk).update(level=Level.objects.get(code=code))
    member.refresh_from_db()
    return member


def _money(quote) -> dict:
    return {
        "goods": quote.goods_amount,
        "level": quote.level_discount_amount,
        "coupon": quote.coupon_discount_amount,
        "points": quote.points_deduction_amount,
        "shipping": quote.shipping_amount,
        "shipping_discount": quote.shipping_discount_amount,
        "total": quote.total_amount,
    }


def test_a_price_table_with_level_coupon_points_and_freight_adds_up_to_the_cent(
    buyer, on_shelf_sku, give_coupon, give_points, freight, province
):
    member = give_points(_level(buyer(), "VIP2"), 5000)  # VIP2: 0.99
    a = on_shelf_sku(price="99.00", weight_grams=600)
    b = on_shelf_sku(price="35.50", weight_grams=300)
    coupon = give_coupon(member, amount="20.00", threshold="100.00")

    quote = price_order(
        member=member,
        lines=[(a, 2), (b, 1)],
        province=province("上海"),
        coupon=coupon,
        points=1000,
    )

    assert _money(quote) == {
        "goods": D("233.50"),
        "level": D("2.34"),  # 233.50 × 1% = 2.335 → 2.34 (half-up, once)
        "coupon": D("20.00"),
        "points": D("10.00"),  # 1000 points at 100 per yuan
        "shipping": D("15.00"),  # 1500 g: 10.00 first 1000 g + 1 × 5.00
        "shipping_discount": D("15.00"),  # 211.16 after discounts ≥ 99.00
        "total": D("201.16"),
    }
    line_a, line_b = quote.lines
    assert (line_a.level_discount_amount, line_b.level_discount_amount) == (D("1.98"), D("0.36"))
    assert (line_a.coupon_discount_amount, line_b.coupon_discount_amount) == (
        D("16.96"),
        D("3.04"),
    )
    assert (line_a.points_deduction_amount, line_b.points_deduction_amount) == (
        D("8.48"),
        D("1.52"),
    )
    assert (line_a.payable_amount, line_b.payable_amount) == (D("170.58"), D("30.58"))
    assert quote.points_used == 1000 and quote.free_shipping_reason == "threshold"
    assert [(s["code"], s["amount"]) for s in quote.steps] == [
        ("goods", D("233.50")),
        ("promotion_discount", D("0")),
        ("level_discount", D("-2.34")),
        ("coupon_discount", D("-20.00")),
        ("points_deduction", D("-10.00")),
        ("shipping", D("15.00")),
        ("shipping_discount", D("-15.00")),
        ("total", D("201.16")),
    ]
    assert str(quote.steps[2]["label"]) == "会员折扣"


def test_below_the_threshold_shipping_is_charged_by_weight_and_a_region_rule_overrides_it(
    buyer, on_shelf_sku, freight, province
):
    from orders.models import FreightRule

    member = buyer()
    heavy = on_shelf_sku(price="30.00", weight_grams=2600)

    default = price_order(member=member, lines=[(heavy, 1)], province=province("北京"))
    # 2600 g: 10.00 + ceil(1600 / 500) = 4 × 5.00
    assert (default.shipping_amount, default.shipping_discount_amount) == (D("30.00"), D("0.00"))
    assert default.total_amount == D("60.00")

    east = province("上海").region
    FreightRule.objects.create(
        template=freight, region=east, first_fee_amount=D("8.00"), extra_fee_amount=D("4.00")
    )
    ruled = price_order(member=member, lines=[(heavy, 1)], province=province("上海"))
    assert ruled.shipping_amount == D("24.00")  # 8.00 + 4 × 4.00
    assert ruled.total_amount == D("54.00")


def test_a_free_shipping_coupon_or_a_free_shipping_level_takes_the_fee_off(
    buyer, on_shelf_sku, give_coupon, freight, province
):
    item = on_shelf_sku(price="20.00", weight_grams=500)
    member = buyer()
    coupon = give_coupon(member, kind="free_shipping")

    with_coupon = price_order(
        member=member, lines=[(item, 1)], province=province("上海"), coupon=coupon
    )
    assert (with_coupon.shipping_amount, with_coupon.shipping_discount_amount) == (
        D("10.00"),
        D("10.00"),
    )
    assert with_coupon.total_amount == D("20.00")
    assert with_coupon.free_shipping_reason == "coupon"

    vip4 = _level(buyer(), "VIP4")  # 0.97 and free shipping
    levelled = price_order(member=vip4, lines=[(item, 1)], province=province("上海"))
    assert levelled.level_discount_amount == D("0.60")
    assert levelled.shipping_discount_amount == D("10.00")
    assert levelled.total_amount == D("19.40")
    assert levelled.free_shipping_reason == "level"


def test_a_running_promotion_price_replaces_the_sale_price(buyer, on_shelf_sku, province, actor):
    from catalog.models import PromotionPrice

    item = on_shelf_sku(price="99.00")
    now = timezone.now()
    for price, starts, ends, status in (
        ("79.00", now - timedelta(hours=1), now + timedelta(hours=1), "active"),
        ("69.00", now - timedelta(hours=1), now + timedelta(hours=1), "cancelled"),
        ("59.00", now + timedelta(hours=1), now + timedelta(hours=2), "active"),
    ):
        PromotionPrice.objects.create(
            sku=item,
            price_amount=D(price),
            starts_at=starts,
            ends_at=ends,
            reference_price_amount=D("99.00"),
            status=status,
            created_by=actor,
        )

    quote = price_order(member=buyer(), lines=[(item, 2)], province=province("上海"), now=now)

    line = quote.lines[0]
    assert (line.list_price_amount, line.unit_price_amount, line.line_amount) == (
        D("99.00"),
        D("79.00"),
        D("158.00"),
    )
    assert line.is_promotion


def test_a_category_coupon_discounts_only_its_lines(
    buyer, on_shelf_sku, give_coupon, province, category, actor
):
    from catalog import services as catalog_services
    from catalog.models import Product

    inside = on_shelf_sku(price="60.00")
    outside = on_shelf_sku(price="40.00")
    other = catalog_services.category_seed(actor=actor, code="t-other", name="其他")
    Product.objects.filter(pk=outside.product_id).update(category=other)
    outside.product.category = other
    outside.product.category_id = other.pk
    member = buyer()
    coupon = give_coupon(member, kind="percent_off", rate="0.800", categories=[category])

    quote = price_order(
        member=member, lines=[(inside, 1), (outside, 1)], province=province("上海"), coupon=coupon
    )

    assert quote.coupon_discount_amount == D("12.00")  # 20 % of the 60.00 line only
    assert [line.coupon_discount_amount for line in quote.lines] == [D("12.00"), D("0.00")]


def test_a_coupon_below_its_threshold_or_of_another_member_is_refused(
    buyer, on_shelf_sku, give_coupon, province
):
    item = on_shelf_sku(price="50.00")
    member = buyer()
    high = give_coupon(member, amount="10.00", threshold="100.00")
    with pytest.raises(CouponNotUsable) as refused:
        price_order(member=member, lines=[(item, 1)], province=province("上海"), coupon=high)
    assert "coupon_id" in refused.value.fields

    someone_elses = give_coupon(buyer(), amount="10.00")
    with pytest.raises(CouponNotUsable):
        price_order(
            member=member, lines=[(item, 1)], province=province("上海"), coupon=someone_elses
        )


def test_for_random_carts_the_parts_always_add_up_to_the_cent(
    buyer, on_shelf_sku, give_coupon, give_points, freight, province
):
    rng = random.Random(20261128)
    skus = [on_shelf_sku(price="1.00", weight_grams=rng.randint(0, 3000)) for _ in range(5)]
    members = {
        code: give_points(_level(buyer(), code), 100_000) for code in ("VIP1", "VIP3", "VIP7")
    }
    shanghai = province("上海")
    for _round in range(60):
        member = members[rng.choice(list(members))]
        chosen = rng.sample(skus, rng.randint(1, 5))
        for sku in chosen:  # prices in memory: the calculation reads the objects it is given
            sku.price_amount = D(rng.randint(1, 99_999)) / 100
        lines = [(sku, rng.randint(1, 7)) for sku in chosen]
        coupon = None
        if rng.random() < 0.6:
            coupon = rng.choice(
                [
                    give_coupon(member, amount=f"{rng.randint(1, 50)}.{rng.randint(0, 99):02d}"),
                    give_coupon(member, kind="percent_off", rate=f"0.{rng.randint(500, 999)}"),
                    give_coupon(member, kind="free_shipping"),
                ]
            )
        points = rng.choice([0, 1, 99, 1234, 5000])
        try:
            quote = price_order(
                member=member, lines=lines, province=shanghai, coupon=coupon, points=points
            )
        except ApplicationError as exc:  # only the points cap may refuse a random cart
            assert getattr(exc, "code", "") == "points_cap_exceeded"
            continue

        for part in ("level_discount_amount", "coupon_discount_amount", "points_deduction_amount"):
            assert sum((getattr(line, part) for line in quote.lines), D("0")) == getattr(
                quote, part
            ), part
        assert sum((line.line_amount for line in quote.lines), D("0")) == quote.goods_amount
        assert all(line.payable_amount >= 0 for line in quote.lines)
        assert quote.total_amount == (
            sum((line.payable_amount for line in quote.lines), D("0"))
            + quote.shipping_amount
            - quote.shipping_discount_amount
        )
        assert quote.total_amount == (
            quote.goods_amount
            - quote.level_discount_amount
            - quote.coupon_discount_amount
            - quote.points_deduction_amount
            + quote.shipping_amount
            - quote.shipping_discount_amount
        )
        assert quote.steps[-1]["amount"] == quote.total_amount
        assert sum((s["amount"] for s in quote.steps[:-1]), D("0")) == quote.total_amount
