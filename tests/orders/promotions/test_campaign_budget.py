# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""Campaigns at placement and cancellation: gifts take stock, the budget is taken in the
placement's transaction (409 ``price_changed`` when it ran out, nothing half-written)
and given back when the order is cancelled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dispatch.models import Stock
from mall.core.actors import system_actor
from members.models import Coupon
from ops.models import AuditEntry
from orders.exceptions import PriceChanged
from orders.models import Campaign, CampaignUsage, Order, OrderLine
from orders.pricing import price_order
from orders.promotions import campaigns as svc
from orders.services.cancellation import order_cancel
from orders.services.placement import order_place
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
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


def _reserved(sku, warehouses, code="WH-SH"):
    return Stock.objects.get(warehouse=warehouses[code], sku=sku).reserved


def _place(member, sku, quantity, **extra):
    return order_place(
        actor=member, address=SHANGHAI, lines=[{"sku": sku.code, "quantity": quantity}], **extra
    )


def test_a_full_reduction_order_takes_the_budget_and_its_cancellation_gives_it_back(
    buyer, on_shelf_sku, make_campaign, warehouses
):
    member = buyer()
    item = on_shelf_sku(20, price="100.00")
    campaign = make_campaign(tiers=[tier("199", off="20"), tier("399", off="50")], budget="500")

    order = _place(member, item, 4)

    assert order.promotion_discount_amount == D("50.00")
    assert order.total_amount == D("350.00")
    line = order.lines.get()
    assert (line.campaign, line.promotion_discount_amount, line.payable_amount) == (
        campaign,
        D("50.00"),
        D("350.00"),
    )
    campaign.refresh_from_db()
    assert campaign.spent_amount == D("50.00")
    usage = CampaignUsage.objects.get(order=order)
    assert (usage.campaign, usage.discount_amount, usage.gift_cost_amount, usage.returned) == (
        campaign,
        D("50.00"),
        D("0.00"),
        False,
    )
    assert order.pricing["promotion_discount_amount"] == "50.00"

    order_cancel(actor=member, order=order, reason="不要了")

    campaign.refresh_from_db()
    usage.refresh_from_db()
    assert campaign.spent_amount == D("0.00") and usage.returned is True
    # a second return (a replayed cancellation) gives nothing back twice
    svc.campaign_budget_return(actor=system_actor(), order=order)
    campaign.refresh_from_db()
    assert campaign.spent_amount == D("0.00")
    actions = list(
        AuditEntry.objects.filter(
            object_type="orders.order", object_id=str(order.pk), action__startswith="campaign."
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["campaign.budget_take", "campaign.budget_return"]


def test_a_gift_is_a_line_at_zero_that_takes_stock_and_its_list_price_from_the_budget(
    buyer, on_shelf_sku, make_campaign, warehouses
):
    member = buyer()
    item = on_shelf_sku(20, price="60.00")
    gift = on_shelf_sku(5, price="25.00")
    campaign = make_campaign(kind="gift", tiers=[tier("100", gift=gift, quantity=2)], budget="60")

    order = _place(member, item, 2)

    lines = {line.sku_id: line for line in OrderLine.objects.filter(order=order)}
    gift_line = lines[gift.pk]
    assert gift_line.is_gift is True and gift_line.campaign == campaign
    assert (gift_line.quantity, gift_line.unit_price_amount, gift_line.payable_amount) == (
        2,
        D("0.00"),
        D("0.00"),
    )
    assert gift_line.list_price_amount == D("25.00")
    assert order.goods_amount == D("120.00") and order.total_amount == D("120.00")
    assert _reserved(gift, warehouses) == 2 and _reserved(item, warehouses) == 2
    campaign.refresh_from_db()
    assert campaign.spent_amount == D("50.00")

    # 10.00 left: the next order's gift (50.00 at list price) does not fit — no gift
    quote = price_order(member=member, lines=[(item, 2)], province=order.province)
    assert not any(line.is_gift for line in quote.lines) and quote.campaign_usages == []

    order_cancel(actor=member, order=order, reason="不要了")
    campaign.refresh_from_db()
    assert campaign.spent_amount == D("0.00") and _reserved(gift, warehouses) == 0


def test_a_gift_without_sellable_stock_is_left_out(buyer, on_shelf_sku, make_campaign, province):
    member = buyer()
    item = on_shelf_sku(20, price="60.00")
    gift = on_shelf_sku(1, price="25.00")
    make_campaign(kind="gift", tiers=[tier("100", gift=gift, quantity=2)])

    quote = price_order(member=member, lines=[(item, 2)], province=province("上海"))

    assert [line.is_gift for line in quote.lines] == [False]
    assert quote.campaign_usages == [] and quote.lines[0].campaign is None


def test_pricing_skips_a_campaign_whose_remaining_budget_cannot_pay_the_discount(
    buyer, on_shelf_sku, make_campaign, province
):
    member = buyer()
    item = on_shelf_sku(20, price="100.00")
    campaign = make_campaign(tiers=[tier("199", off="20")], budget="30")
    Campaign.objects.filter(pk=campaign.pk).update(spent_amount=D("15.00"))

    quote = price_order(member=member, lines=[(item, 2)], province=province("上海"))

    assert quote.promotion_discount_amount == D("0.00") and quote.campaign_usages == []
    assert quote.lines[0].campaign is None and quote.total_amount == D("200.00")


def test_a_budget_spent_between_pricing_and_the_write_refuses_the_order_and_writes_nothing(
    buyer, on_shelf_sku, give_coupon, give_points, make_campaign, warehouses, monkeypatch
):
    member = give_points(buyer(), 5000)
    item = on_shelf_sku(20, price="100.00")
    coupon = give_coupon(member, amount="10.00", threshold="100.00")
    campaign = make_campaign(tiers=[tier("199", off="20")], budget="30")
    priced = svc.campaign_step

    def step_then_someone_else_spends(*, lines, now, province=None):
        outcome = priced(lines=lines, now=now, province=province)
        Campaign.objects.filter(pk=campaign.pk).update(spent_amount=D("15.00"))
        return outcome

    monkeypatch.setattr(svc, "campaign_step", step_then_someone_else_spends)
    orders_before = Order.objects.count()

    with pytest.raises(PriceChanged) as refused:
        _place(member, item, 2, coupon_id=coupon.pk, points=1000)

    assert refused.value.code == "price_changed" and refused.value.status_code == 409
    assert Order.objects.count() == orders_before
    assert not CampaignUsage.objects.exists()
    assert _reserved(item, warehouses) == 0
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.AVAILABLE
    member.refresh_from_db()
    assert member.points_balance == 5000
    campaign.refresh_from_db()
    assert campaign.spent_amount == D("15.00")  # what the other order took, nothing of ours


def test_the_api_answers_409_price_changed(
    buyer, on_shelf_sku, make_campaign, member_client, monkeypatch
):
    member = buyer()
    item = on_shelf_sku(20, price="100.00")
    campaign = make_campaign(tiers=[tier("199", off="20")], budget="30")
    priced = svc.campaign_step

    def step_then_spent(*, lines, now, province=None):
        outcome = priced(lines=lines, now=now, province=province)
        Campaign.objects.filter(pk=campaign.pk).update(spent_amount=D("25.00"))
        return outcome

    monkeypatch.setattr(svc, "campaign_step", step_then_spent)
    answer = member_client(member).post(
        "/api/v1/store/orders/",
        {"address": SHANGHAI, "lines": [{"sku": item.code, "quantity": 2}]},
        format="json",
    )

    assert answer.status_code == 409, answer.content
    assert answer.json()["error"]["code"] == "price_changed"
