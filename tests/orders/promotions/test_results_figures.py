# ruff: noqa: F811 - fixtures imported from other modules are parameters here
"""Campaign and session figures equal hand-computed ones, in the reader's data scope.

The fixture (see ``promo``) holds, for one campaign over SKU A (99.00; other costs
20.00, budget 500.00, counter 110.00):

* o1 east, m1, A×2, completed: campaign discount 20, coupon 10 → paid 168.00
* o2 east, m2, A×1 (discount 10) + a gift G×1 (list 30.00), paid 89.00, refunded 50.00
* o3 north, m3, A×1 (discount 10), paid 89.00
* o4 east, brushed, A×3 (discount 30), paid — never counted
* o5 east, cancelled, A×1 (discount 10, usage returned) — never counted
* o6 east, m1, A×1 (discount 10), waiting for payment — an order, not GMV
* o7 east, A×1 paid, no campaign — not the campaign's
* views of A's product: 100 today (in the window), 50 twenty days ago (outside);
  70 of another product (not covered)

and one flash session (S1 list 99 → flash 59, quota 10, sold 4; S2 list 30 → 20,
quota 5, sold 1): s1 east m1 S1×2 paid 118; s2 north m2 S1×1 + S2×1 paid 79,
refunded 20; s3 east brushed S1×1; s4 east cancelled S1×1; 40 session views today,
10 of another session.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.exceptions import OrdersPermissionDenied
from orders.promotions.results import campaign_figures, session_figures
from tests.orders.checkout_support import give_coupon  # noqa: F401 - fixture

D = Decimal
pytestmark = pytest.mark.django_db

RESULT_PERMS = ["orders.view_promotion_results", "orders.export_promotion_results"]


def _viewer(username: str, regions, perms=RESULT_PERMS):
    """A staff member whose role reads results, scope "all" (``regions=None``) or the
    sales regions named."""
    from django.contrib.auth import get_user_model

    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    user = get_user_model().objects.create_user(
        username=username, password="mall-demo-2026", is_staff=True
    )
    role = rbac_services.role_create(
        actor=system_actor(),
        code=f"{username}_role",
        name=f"{username}角色",
        scope_kind=ScopeKind.ALL if regions is None else ScopeKind.REGIONS,
        permissions=list(perms),
        regions=[] if regions is None else list(SalesRegion.objects.filter(code__in=regions)),
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def all_viewer(db):
    return _viewer("results_all", None)


@pytest.fixture
def east_viewer(db):
    return _viewer("results_east", ["east"])


@pytest.fixture
def viewer_only(db):
    """Reads the figures, may not download the report."""
    return _viewer("results_view", None, perms=["orders.view_promotion_results"])


@pytest.fixture
def marketer(make_staff):
    return make_staff("results_marketing")


def _lines(order, **fields):
    from orders.models import OrderLine

    OrderLine.objects.filter(order=order, **fields.pop("where", {})).update(**fields)


def _order(order, **fields):
    from orders.models import Order

    Order.objects.filter(pk=order.pk).update(**fields)


@pytest.fixture
def promo(make_member, make_order, stocked_sku, give_coupon, marketer):
    """The campaign and the session of the module doc, with their orders and views."""
    from orders.models import (
        ApprovalStatus,
        Campaign,
        CampaignUsage,
        FlashSession,
        FlashSessionItem,
        StoreEventCount,
    )

    now = timezone.now()
    today = timezone.localdate(now)
    m1, m2, m3 = make_member(), make_member(), make_member()
    a = stocked_sku(code="RES-A")
    gift = stocked_sku(code="RES-G", price="30.00")
    other = stocked_sku(code="RES-O")
    campaign = Campaign.objects.create(
        name="满100减10",
        kind=Campaign.Kind.FULL_REDUCTION,
        scope=Campaign.Scope.SKUS,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
        budget_amount=D("500.00"),
        spent_amount=D("110.00"),
        other_cost_amount=D("20.00"),
        status=ApprovalStatus.RUNNING,
        created_by=marketer,
    )
    campaign.skus.set([a])

    def campaign_order(member, lines, discount, *, usage=None, returned=False, **kwargs):
        order = make_order(member, lines, allocate_stock=False, **kwargs)
        _lines(order, where={"sku": a}, campaign=campaign, promotion_discount_amount=discount)
        _lines(
            order,
            where={"sku": a},
            payable_amount=order.lines.get(sku=a).line_amount - discount,
        )
        paid = order.paid_amount - discount if order.paid_amount else D("0.00")
        _order(
            order,
            promotion_discount_amount=discount,
            total_amount=order.total_amount - discount,
            paid_amount=paid,
        )
        CampaignUsage.objects.create(
            campaign=campaign,
            order=order,
            discount_amount=discount,
            gift_cost_amount=usage or D("0.00"),
            returned=returned,
        )
        order.refresh_from_db()
        return order

    o1 = campaign_order(m1, [(a, 2)], D("20.00"), status="completed")
    coupon = give_coupon(m1, amount="10")
    _order(
        o1,
        coupon=coupon,
        coupon_discount_amount=D("10.00"),
        total_amount=D("168.00"),
        paid_amount=D("168.00"),
    )
    o2 = campaign_order(m2, [(a, 1), (gift, 1)], D("10.00"), usage=D("30.00"), status="paid")
    _lines(
        o2,
        where={"sku": gift},
        campaign=campaign,
        is_gift=True,
        unit_price_amount=D("0.00"),
        line_amount=D("0.00"),
        payable_amount=D("0.00"),
    )
    _order(o2, goods_amount=D("99.00"), total_amount=D("89.00"), paid_amount=D("89.00"))
    _order(o2, refunded_amount=D("50.00"))
    campaign_order(m3, [(a, 1)], D("10.00"), status="completed", province_name="北京")
    campaign_order(m1, [(a, 3)], D("30.00"), status="completed", is_brushed=True)
    campaign_order(m2, [(a, 1)], D("10.00"), status="cancelled", returned=True)
    campaign_order(m1, [(a, 1)], D("10.00"), status="pending_payment")
    make_order(m2, [(a, 1)], status="completed", allocate_stock=False)

    StoreEventCount.objects.create(
        type=StoreEventCount.Type.PRODUCT_VIEW, object_id=a.product_id, day=today, views=100
    )
    StoreEventCount.objects.create(
        type=StoreEventCount.Type.PRODUCT_VIEW,
        object_id=a.product_id,
        day=today - timedelta(days=20),
        views=50,
    )
    StoreEventCount.objects.create(
        type=StoreEventCount.Type.PRODUCT_VIEW, object_id=other.product_id, day=today, views=70
    )

    # --- the session ---
    s1 = stocked_sku(code="RES-S1")
    s2 = stocked_sku(code="RES-S2", price="30.00")
    session = FlashSession.objects.create(
        name="晚八点秒杀",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        status=ApprovalStatus.RUNNING,
        created_by=marketer,
    )
    other_session = FlashSession.objects.create(
        name="另一场",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        status=ApprovalStatus.RUNNING,
        created_by=marketer,
    )
    item1 = FlashSessionItem.objects.create(
        session=session, sku=s1, flash_price_amount=D("59.00"), quota=10, sold=4
    )
    item2 = FlashSessionItem.objects.create(
        session=session, sku=s2, flash_price_amount=D("20.00"), quota=5, sold=1
    )
    prices = {s1: (item1, D("59.00")), s2: (item2, D("20.00"))}

    def flash_order(member, lines, **kwargs):
        order = make_order(member, lines, allocate_stock=False, **kwargs)
        total = D("0.00")
        for sku, quantity in lines:
            item, price = prices[sku]
            _lines(
                order,
                where={"sku": sku},
                flash_item=item,
                unit_price_amount=price,
                line_amount=price * quantity,
                payable_amount=price * quantity,
            )
            total += price * quantity
        paid = total if order.paid_amount else D("0.00")
        _order(
            order,
            flash_session=session,
            goods_amount=total,
            total_amount=total,
            paid_amount=paid,
        )
        order.refresh_from_db()
        return order

    flash_order(m1, [(s1, 2)], status="paid")
    s2_order = flash_order(m2, [(s1, 1), (s2, 1)], status="completed", province_name="北京")
    _order(s2_order, refunded_amount=D("20.00"))
    flash_order(m3, [(s1, 1)], status="paid", is_brushed=True)
    flash_order(m3, [(s1, 1)], status="cancelled")
    StoreEventCount.objects.create(
        type=StoreEventCount.Type.SESSION_VIEW, object_id=session.pk, day=today, views=40
    )
    StoreEventCount.objects.create(
        type=StoreEventCount.Type.SESSION_VIEW, object_id=other_session.pk, day=today, views=10
    )
    return {
        "campaign": campaign,
        "session": session,
        "other_session": other_session,
        "s1": s1,
        "s2": s2,
        "a": a,
    }


def test_campaign_figures_for_a_reader_of_every_region(promo, all_viewer):
    figures = campaign_figures(actor=all_viewer, campaign=promo["campaign"])

    assert figures.orders == 4  # o1, o2, o3, o6
    assert figures.paid_orders == 3
    assert figures.buyers == 3
    assert figures.gmv == D("346.00")  # 168 + 89 + 89
    assert figures.refunded == D("50.00")
    assert figures.refund_rate == D("0.1445")  # 50 / 346
    assert figures.discount_cost == D("80.00")  # 20 + 10 + 10 + 10 + gift 30
    assert figures.other_cost == D("20.00")
    assert figures.roi == D("3.4600")  # 346 / (80 + 20)
    assert figures.budget == D("500.00")
    assert figures.budget_used == D("80.00")  # usages of o1, o2 (10 + 30), o3, o6
    assert figures.budget_used_all == D("110.00")  # the campaign's own counter
    assert figures.coupon_orders == 1
    assert figures.coupon_rate == D("0.2500")
    assert figures.coupon_discount == D("10.00")
    assert figures.views == 100
    assert figures.conversion == D("0.0400")  # 4 / 100


def test_a_regional_reader_sees_their_regions_figures_only(promo, east_viewer):
    figures = campaign_figures(actor=east_viewer, campaign=promo["campaign"])

    assert figures.orders == 3  # o1, o2, o6
    assert figures.paid_orders == 2
    assert figures.buyers == 2
    assert figures.gmv == D("257.00")
    assert figures.refund_rate == D("0.1946")  # 50 / 257
    assert figures.discount_cost == D("70.00")
    assert figures.roi == D("2.8556")  # 257 / 90
    assert figures.budget_used == D("70.00")
    assert figures.budget_used_all is None  # the national counter would tell the rest
    assert figures.coupon_rate == D("0.3333")
    assert figures.views == 100
    assert figures.conversion == D("0.0300")


def test_session_figures_and_sku_rows(promo, all_viewer):
    figures = session_figures(actor=all_viewer, session=promo["session"])

    assert figures.orders == 2  # s1, s2
    assert figures.paid_orders == 2
    assert figures.buyers == 2
    assert figures.gmv == D("197.00")
    assert figures.refunded == D("20.00")
    assert figures.refund_rate == D("0.1015")
    assert figures.discount_cost == D("130.00")  # 40×2 + 40×1 + 10×1
    assert figures.roi == D("1.5154")  # 197 / 130
    assert figures.views == 40
    assert figures.conversion == D("0.0500")
    assert figures.budget is None
    rows = {row.sku_code: row for row in figures.skus}
    s1, s2 = rows[promo["s1"].code], rows[promo["s2"].code]
    assert (s1.sold, s1.gmv, s1.quota, s1.sold_total, s1.remaining) == (
        3,
        D("177.00"),
        10,
        4,
        6,
    )
    assert (s2.sold, s2.gmv, s2.quota, s2.sold_total, s2.remaining) == (1, D("20.00"), 5, 1, 4)


def test_a_regional_reader_gets_no_national_session_counters(promo, east_viewer):
    figures = session_figures(actor=east_viewer, session=promo["session"])

    assert (figures.orders, figures.gmv, figures.discount_cost) == (1, D("118.00"), D("80.00"))
    rows = {row.sku_code: row for row in figures.skus}
    s1, s2 = rows[promo["s1"].code], rows[promo["s2"].code]
    assert (s1.sold, s1.gmv) == (2, D("118.00"))
    assert (s1.quota, s1.sold_total, s1.remaining) == (None, None, None)
    assert (s2.sold, s2.gmv) == (0, D("0.00"))


def test_figures_need_the_view_permission(promo, make_staff):
    stranger = make_staff("no_results", perms=("orders.view_campaign",))
    with pytest.raises(OrdersPermissionDenied):
        campaign_figures(actor=stranger, campaign=promo["campaign"])
    with pytest.raises(OrdersPermissionDenied):
        session_figures(actor=stranger, session=promo["session"])


def test_figures_without_orders_or_views_have_no_ratios(promo, all_viewer, marketer):
    from orders.models import ApprovalStatus, Campaign

    now = timezone.now()
    empty = Campaign.objects.create(
        name="空活动",
        kind=Campaign.Kind.FULL_REDUCTION,
        scope=Campaign.Scope.SKUS,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        budget_amount=D("100.00"),
        status=ApprovalStatus.RUNNING,
        created_by=marketer,
    )
    figures = campaign_figures(actor=all_viewer, campaign=empty)
    assert (figures.orders, figures.gmv, figures.views) == (0, D("0.00"), 0)
    assert figures.roi is None and figures.conversion is None and figures.refund_rate is None


def test_views_follow_the_campaigns_scope(promo, all_viewer, category):
    """Categories cover their sub-categories' products; "all goods" every product view."""
    from orders.models import Campaign, StoreEventCount

    StoreEventCount.objects.create(
        type=StoreEventCount.Type.PRODUCT_VIEW,
        object_id=999_999,  # a product outside the category tree
        day=timezone.localdate(),
        views=5,
    )
    campaign = promo["campaign"]
    Campaign.objects.filter(pk=campaign.pk).update(scope=Campaign.Scope.CATEGORIES)
    campaign.refresh_from_db()
    campaign.categories.set([category.parent.parent])  # the root of the tree
    assert campaign_figures(actor=all_viewer, campaign=campaign).views == 170  # A 100 + O 70

    campaign.categories.set([category])  # the leaf itself
    assert campaign_figures(actor=all_viewer, campaign=campaign).views == 170

    Campaign.objects.filter(pk=campaign.pk).update(scope=Campaign.Scope.ALL)
    campaign.refresh_from_db()
    assert campaign_figures(actor=all_viewer, campaign=campaign).views == 175


def test_the_figures_are_aggregates_not_a_query_per_order(
    promo, all_viewer, make_member, make_order
):
    """More orders, the same number of queries: the figures are set-based SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.models import OrderLine

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            campaign_figures(actor=all_viewer, campaign=promo["campaign"])
            session_figures(actor=all_viewer, session=promo["session"])
        return len(captured)

    queries()  # the reader's permissions and scope are cached on the first call
    before = queries()
    member = make_member()
    for _n in range(3):
        order = make_order(member, [(promo["a"], 1)], status="paid", allocate_stock=False)
        OrderLine.objects.filter(order=order).update(campaign=promo["campaign"])
    assert campaign_figures(actor=all_viewer, campaign=promo["campaign"]).orders == 7
    assert queries() == before
