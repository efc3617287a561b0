# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""Flash-sale rules: flash prices in the lowest-price rule, overlapping sessions, the
re-plan of a flash order after an address change, and what an unpublished id answers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.exceptions import PromotionPriceRefused
from catalog.services.pricing import promotion_price_create, sku_lowest_price
from dispatch.models import Allocation, Stock
from orders.exceptions import FlashSessionNotRunning, InvalidOrderInput, InvalidPromotionInput
from orders.models import ApprovalStatus, FlashSession
from orders.promotions import flash, flash_orders
from orders.services.modifications import modification_request_apply, modification_request_create
from orders.services.placement import order_place
from tests.orders.checkout_support import buyer, on_shelf_sku  # noqa: F401 - fixtures
from tests.orders.fulfilment_support import make_ops  # noqa: F401 - fixture
from tests.orders.promotions.flash_support import (  # noqa: F401 - fixtures
    flash_session,
    marketing,
    ops_lead,
)

P = ApprovalStatus
BEIJING_BUYER = {
    "name": "李四",
    "phone": "13700000000",
    "province": "北京",
    "city": "北京市",
    "district": "朝阳区",
    "detail": "建国路 8 号",
}
SHANGHAI_CHANGE = {
    "province": "上海",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "幸福路 1 号",
    "recipient": "张三",
    "phone": "13912345678",
}


def _lowest(sku, marketing):
    now = timezone.now()
    return sku_lowest_price(
        actor=marketing, sku=sku, start=now - timedelta(days=30), end=now + timedelta(days=5)
    )


def _items(sku, price="50.00"):
    return [{"sku": sku, "flash_price": price, "quota": 5, "per_member_limit": 1}]


# --- 1. the look-back lowest price counts published flash prices -------------------------


def test_only_published_flash_prices_count_in_the_lowest_price(
    flash_session, on_shelf_sku, marketing, ops_lead
):
    unpublished = on_shelf_sku(20)
    flash_session(
        [(unpublished, "40.00", 5, 1)], starts_in=timedelta(hours=2), open=False, approve=False
    )  # draft
    pending = flash_session(
        [(unpublished, "41.00", 5, 1)], starts_in=timedelta(hours=2), open=False, approve=False
    )
    flash.flash_session_submit(actor=marketing, session=pending)
    dropped = flash_session(
        [(unpublished, "42.00", 5, 1)], starts_in=timedelta(days=2), open=False, approve=False
    )
    flash.flash_session_cancel(actor=marketing, session=dropped, reason="不做了")
    assert _lowest(unpublished, marketing) == Decimal("99.00")

    approved = on_shelf_sku(20)
    flash_session([(approved, "50.00", 5, 1)], starts_in=timedelta(hours=2), open=False)
    assert _lowest(approved, marketing) == Decimal("50.00")

    called_off = on_shelf_sku(20)
    session = flash_session([(called_off, "55.00", 5, 1)], starts_in=timedelta(hours=2), open=False)
    flash.flash_session_cancel(actor=marketing, session=session, reason="取消")
    assert _lowest(called_off, marketing) == Decimal("55.00")

    ran = on_shelf_sku(20)
    session = flash_session([(ran, "60.00", 5, 1)])  # running
    assert _lowest(ran, marketing) == Decimal("60.00")
    flash.flash_session_close(actor=marketing, session=session)
    assert _lowest(ran, marketing) == Decimal("60.00")
    later = timezone.now() + timedelta(minutes=1)
    assert sku_lowest_price(
        actor=marketing, sku=ran, start=later, end=later + timedelta(hours=1)
    ) == Decimal("99.00")  # it ended before that window


def test_a_later_flash_price_or_promotion_must_go_below_a_published_flash_price(
    flash_session, on_shelf_sku, marketing, make_staff
):
    from catalog.permissions import ADD_PROMOTION

    sku = on_shelf_sku(20)
    flash_session([(sku, "50.00", 5, 1)], starts_in=timedelta(hours=2), minutes=60, open=False)
    starts_at = timezone.now() + timedelta(days=1)
    with pytest.raises(InvalidPromotionInput) as refused:
        flash._clean_items(marketing, _items(sku, "50.00"), starts_at=starts_at)
    assert "50.00" in refused.value.fields["items.0.flash_price"][0]
    assert flash._clean_items(marketing, _items(sku, "49.99"), starts_at=starts_at)

    pricing = make_staff("pricing-t", perms=(ADD_PROMOTION,))
    with pytest.raises(PromotionPriceRefused) as promotion:
        promotion_price_create(
            actor=pricing,
            sku=sku,
            price_amount="50.00",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(days=1),
        )
    assert promotion.value.extra["lowest_price"] == "50.00"


# --- 2. overlapping sessions on one SKU -------------------------------------------------


def test_a_sku_cannot_be_in_two_overlapping_sessions(
    flash_session, on_shelf_sku, marketing, ops_lead
):
    sku = on_shelf_sku(20)
    free = on_shelf_sku(20)
    first = flash_session([(sku, "50.00", 5, 1)], starts_in=timedelta(hours=2), open=False)
    starts_at = first.starts_at + timedelta(minutes=30)
    ends_at = starts_at + timedelta(hours=1)
    with pytest.raises(InvalidPromotionInput) as refused:
        flash._clean_items(
            marketing,
            [*_items(free, "40.00"), *_items(sku, "40.00")],
            starts_at=starts_at,
            ends_at=ends_at,
        )
    assert set(refused.value.fields) == {"items.1.sku"}
    message = refused.value.fields["items.1.sku"][0]
    assert sku.code in message and first.name in message and f"#{first.pk}" in message
    # Back to back is no overlap; the session itself (an update) never collides.
    assert flash._clean_items(
        marketing,
        _items(sku, "40.00"),
        starts_at=first.ends_at,
        ends_at=first.ends_at + timedelta(hours=1),
    )
    assert flash._clean_items(
        marketing,
        _items(sku, "40.00"),
        starts_at=starts_at,
        ends_at=ends_at,
        session_id=first.pk,
    )
    # A cancelled session frees its window.
    flash.flash_session_cancel(actor=marketing, session=first, reason="取消")
    assert flash._overlapping(sku_ids=[sku.pk], starts_at=starts_at, ends_at=ends_at) == {}


def test_drafts_do_not_block_but_two_submitted_overlapping_sessions_are_never_both_approved(
    flash_session, on_shelf_sku, marketing, ops_lead
):
    sku = on_shelf_sku(20)
    one = flash_session(
        [(sku, "50.00", 5, 1)], starts_in=timedelta(hours=2), open=False, approve=False
    )
    two = flash_session(
        [(sku, "45.00", 5, 1)], starts_in=timedelta(hours=2, minutes=30), open=False, approve=False
    )
    flash.flash_session_submit(actor=marketing, session=one)
    # Two submissions racing (each checked before the other committed) leave both
    # submitted; a plain second submission is refused once the life calls are wired.
    FlashSession.objects.filter(pk=two.pk).update(status=P.PENDING_APPROVAL)
    for session, other in ((one, two), (two, one)):
        session.refresh_from_db()
        with pytest.raises(InvalidPromotionInput) as refused:
            flash._refuse_overlapping(session)
        assert refused.value.extra["overlapping"] == {sku.code: other.pk}
        assert f"#{other.pk}" in refused.value.fields["items.0.sku"][0]
    # At opening only approved / running / ended sessions count.
    flash._refuse_overlapping(one, include_submitted=False)


def test_a_session_stopped_early_frees_the_rest_of_its_window(
    flash_session, on_shelf_sku, marketing
):
    sku = on_shelf_sku(20)
    session = flash_session([(sku, "50.00", 5, 1)], minutes=240)
    starts_at = timezone.now() + timedelta(minutes=30)
    ends_at = starts_at + timedelta(hours=1)
    assert flash._overlapping(sku_ids=[sku.pk], starts_at=starts_at, ends_at=ends_at) == {
        sku.pk: session
    }
    flash.flash_session_close(actor=marketing, session=session)
    assert flash._overlapping(sku_ids=[sku.pk], starts_at=starts_at, ends_at=ends_at) == {}
    earlier = session.starts_at - timedelta(minutes=10)
    found = flash._overlapping(sku_ids=[sku.pk], starts_at=earlier, ends_at=ends_at)
    assert found == {sku.pk: session}  # the part it ran still blocks


# --- 3. an address change keeps a flash order in its hold warehouse ----------------------


def test_an_address_change_re_allocates_a_flash_order_in_its_hold_warehouse(
    flash_session, on_shelf_sku, put_stock, warehouses, buyer, own_store, make_ops
):
    # WH-BJ has the most units: the session holds there. WH-SH would serve 上海 better.
    sku = on_shelf_sku(10, where=("WH-SH", "WH-BJ"))
    put_stock(warehouses["WH-BJ"], sku, 20)
    session = flash_session([(sku, "49.90", 5, 2)])
    item = session.items.get()
    assert item.warehouse_id == warehouses["WH-BJ"].pk
    order = order_place(
        actor=buyer(),
        address=BEIJING_BUYER,
        lines=[{"sku": sku.code, "quantity": 1}],
        flash_session=session.pk,
    )
    service = make_ops("cs-flash", perms=("orders.view_order", "orders.modify_order"), regions=None)
    request = modification_request_create(actor=service, order=order, address=SHANGHAI_CHANGE)
    modification_request_apply(actor=service, request=request)

    live = Allocation.objects.get(order_no=order.order_no, status="allocated")
    assert live.province.name == "上海"
    assert {s.warehouse_id for s in live.shipments.all()} == {warehouses["WH-BJ"].pk}
    assert Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"]).reserved == 0


# --- 4. a session never published answers like an unknown id -----------------------------


def _check(member, session_id, sku):
    return flash_orders.flash_cart_check(
        member=member, session_id=session_id, lines=[(sku, 1)], now=timezone.now()
    )


def test_a_never_published_session_answers_exactly_like_an_unknown_id(
    flash_session, on_shelf_sku, marketing, buyer
):
    member = buyer()
    sku = on_shelf_sku(20)
    later = timedelta(days=2)
    draft = flash_session([(sku, "40.00", 5, 1)], starts_in=later, open=False, approve=False)
    pending = flash_session([(sku, "40.00", 5, 1)], starts_in=later, open=False, approve=False)
    flash.flash_session_submit(actor=marketing, session=pending)
    dropped = flash_session(
        [(sku, "40.00", 5, 1)], starts_in=timedelta(days=3), open=False, approve=False
    )
    flash.flash_session_cancel(actor=marketing, session=dropped, reason="取消")
    unknown = (FlashSession.objects.order_by("-pk").values_list("pk", flat=True).first()) + 100

    with pytest.raises(InvalidOrderInput) as missing:
        _check(member, unknown, sku)
    for session in (draft, pending, dropped):
        with pytest.raises(InvalidOrderInput) as hidden:
            _check(member, session.pk, sku)
        assert hidden.value.fields == missing.value.fields
        assert str(hidden.value) == str(missing.value)
        assert hidden.value.extra == missing.value.extra


def test_a_published_session_outside_its_window_is_not_running(
    flash_session, on_shelf_sku, marketing, buyer
):
    member = buyer()
    upcoming = flash_session(
        [(on_shelf_sku(20), "40.00", 5, 1)], starts_in=timedelta(days=2), open=False
    )
    called_off = flash_session(
        [(on_shelf_sku(20), "40.00", 5, 1)], starts_in=timedelta(days=2), open=False
    )
    flash.flash_session_cancel(actor=marketing, session=called_off, reason="取消")
    ended = flash_session([(on_shelf_sku(20), "40.00", 5, 1)])
    flash.flash_session_close(actor=marketing, session=ended)
    for session in (upcoming, called_off, ended):
        sku = session.items.get().sku
        with pytest.raises(FlashSessionNotRunning):
            _check(member, session.pk, sku)
