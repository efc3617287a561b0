# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""A gift campaign's gift is given only when a warehouse delivering to the order's
province can send it (dispatch's coverage); it never makes the product unbuyable."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from dispatch.availability import sellable_units_by_sku_in_province
from orders.pricing import price_order
from orders.promotions.campaigns import campaign_step
from orders.services.placement import order_place
from rbac.models import Province
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    freight,
    on_shelf_sku,
)
from tests.orders.promotions.campaign_support import (  # noqa: F401 - fixtures
    approver,
    make_campaign,
    marketer,
    tier,
)

D = Decimal
BEIJING = SHANGHAI | {"province": "北京", "city": "北京市", "district": "朝阳区"}


def _gift_campaign(make_campaign, gift):
    return make_campaign(kind="gift", tiers=[tier("100", gift=gift, quantity=1)], budget="500")


def test_a_gift_only_in_a_warehouse_not_delivering_to_beijing_is_left_out_of_the_order(
    buyer, on_shelf_sku, make_campaign, warehouses
):
    member = buyer()
    item = on_shelf_sku(20, price="120.00", where=("WH-BJ",))
    gift = on_shelf_sku(5, price="15.00", where=("WH-GZ",))
    _gift_campaign(make_campaign, gift)

    order = order_place(actor=member, address=BEIJING, lines=[{"sku": item.code, "quantity": 1}])

    assert [(line.sku_id, line.quantity) for line in order.lines.all()] == [(item.pk, 1)]
    assert order.goods_amount == D("120.00")


def test_the_same_gift_is_given_where_its_warehouse_delivers(
    buyer, on_shelf_sku, make_campaign, warehouses
):
    member = buyer()
    item = on_shelf_sku(20, price="120.00", where=("WH-SH",))
    gift = on_shelf_sku(5, price="15.00", where=("WH-GZ",))  # WH-GZ serves 上海 (tier 3)
    campaign = _gift_campaign(make_campaign, gift)

    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])

    gifts = [line for line in order.lines.all() if line.sku_id == gift.pk]
    assert len(gifts) == 1
    assert gifts[0].quantity == 1
    campaign.refresh_from_db()
    assert campaign.spent_amount == D("15.00")


def test_the_price_step_reads_the_province_and_without_one_keeps_the_network_rule(
    buyer, on_shelf_sku, make_campaign, warehouses, freight
):
    member = buyer()
    item = on_shelf_sku(20, price="120.00", where=("WH-BJ",))
    gift = on_shelf_sku(5, price="15.00", where=("WH-GZ",))
    _gift_campaign(make_campaign, gift)
    beijing = Province.objects.resolve("北京")
    guangdong = Province.objects.resolve("广东")

    quote = price_order(member=member, lines=[(item, 1)], province=beijing)
    assert [line.is_gift for line in quote.lines] == [False]
    quote = price_order(member=member, lines=[(item, 1)], province=guangdong)
    assert [(line.sku, line.is_gift) for line in quote.lines] == [(item, False), (gift, True)]

    lines = price_order(member=member, lines=[(item, 1)], province=guangdong).lines[:1]
    assert [g[0] for g in campaign_step(lines=lines, now=timezone.now()).gifts] == [gift]
    assert campaign_step(lines=lines, now=timezone.now(), province=beijing.pk).gifts == []


def test_sellable_units_in_a_province_count_only_the_covering_active_warehouses(
    on_shelf_sku, warehouses
):
    sku = on_shelf_sku(5, price="15.00", where=("WH-GZ", "WH-BJ"))
    beijing = Province.objects.resolve("北京")
    shanghai = Province.objects.resolve("上海")

    assert sellable_units_by_sku_in_province([sku.pk], province=beijing) == {sku.pk: 5}
    assert sellable_units_by_sku_in_province([sku.pk], province=shanghai.pk) == {sku.pk: 10}
    warehouses["WH-BJ"].is_active = False
    warehouses["WH-BJ"].save(update_fields=["is_active"])
    assert sellable_units_by_sku_in_province([sku.pk], province=beijing) == {sku.pk: 0}
    assert sellable_units_by_sku_in_province([], province=beijing) == {}
