# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""Flash orders on SQLite (database path, no gate): price, limits, quota, cancellation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import Stock
from orders.exceptions import (
    FlashSessionNotRunning,
    InvalidOrderInput,
    LimitExceeded,
    SoldOut,
)
from orders.models import FlashPurchase, Order
from orders.services.cancellation import order_cancel
from orders.services.placement import order_place, order_preview
from tests.orders.checkout_support import SHANGHAI, buyer, on_shelf_sku  # noqa: F401
from tests.orders.promotions.flash_support import (  # noqa: F401 - fixtures
    flash_session,
    marketing,
    ops_lead,
)


def _place(member, session, sku, quantity=1):
    return order_place(
        actor=member,
        address=SHANGHAI,
        lines=[{"sku": sku.code, "quantity": quantity}],
        flash_session=session.pk,
    )


def test_a_flash_order_pays_the_flash_price_and_claims_its_units(
    flash_session, on_shelf_sku, buyer, own_store, warehouses
):
    sku = on_shelf_sku(20)
    session = flash_session([(sku, "49.90", 5, 2)])
    member = buyer()
    preview = order_preview(
        actor=member,
        address=SHANGHAI,
        lines=[{"sku": sku.code, "quantity": 2}],
        flash_session=session.pk,
    )
    assert preview["goods_amount"] == "99.80"
    order = _place(member, session, sku, 2)
    assert order.flash_session_id == session.pk
    assert order.expires_at - order.created_at <= timedelta(minutes=5, seconds=5)
    line = order.lines.get()
    assert (line.unit_price_amount, line.flash_item_id) == (
        Decimal("49.90"),
        session.items.get().pk,
    )
    item = session.items.get()
    assert (item.sold, item.held) == (2, 3)
    assert FlashPurchase.objects.get(item=item, member=member).quantity == 2
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    # 3 still held for the session + 2 reserved for the order.
    assert (stock.on_hand, stock.reserved) == (20, 5)
    call_command("stock_verify")


def test_limits_quota_and_wrong_input_are_refused(flash_session, on_shelf_sku, buyer, own_store):
    sku = on_shelf_sku(20)
    other = on_shelf_sku(20)
    session = flash_session([(sku, "49.90", 3, 2)])
    first = buyer()
    with pytest.raises(InvalidOrderInput) as over:
        _place(first, session, sku, 3)
    assert "lines.0.quantity" in over.value.fields
    with pytest.raises(InvalidOrderInput) as outside:
        _place(first, session, other, 1)
    assert "lines.0.sku" in outside.value.fields
    with pytest.raises(InvalidOrderInput):
        order_place(
            actor=first,
            address=SHANGHAI,
            lines=[{"sku": sku.code, "quantity": 1}],
            flash_session=999999,
        )
    _place(first, session, sku, 1)
    _place(first, session, sku, 1)
    with pytest.raises(LimitExceeded):
        _place(first, session, sku, 1)
    _place(buyer(), session, sku, 1)
    with pytest.raises(SoldOut):
        _place(buyer(), session, sku, 1)
    assert Order.objects.filter(flash_session=session).count() == 3
    item = session.items.get()
    assert (item.sold, item.held) == (3, 0)


def test_not_running_sessions_answer_409(flash_session, on_shelf_sku, buyer, own_store, marketing):
    from orders.promotions.flash import flash_session_close

    sku = on_shelf_sku(20)
    upcoming = flash_session([(sku, "49.90", 3, 1)], starts_in=timedelta(hours=1), open=False)
    with pytest.raises(FlashSessionNotRunning):
        _place(buyer(), upcoming, sku)
    running = flash_session([(sku, "49.90", 3, 1)])
    flash_session_close(actor=marketing, session=running)
    with pytest.raises(FlashSessionNotRunning):
        _place(buyer(), running, sku)


def test_the_first_placement_after_the_start_opens_an_approved_session(
    flash_session, on_shelf_sku, buyer, own_store
):
    sku = on_shelf_sku(20)
    session = flash_session([(sku, "49.90", 3, 1)], open=False)
    assert session.status == "approved"
    _place(buyer(), session, sku)
    session.refresh_from_db()
    item = session.items.get()
    assert (session.status, item.sold, item.held) == ("running", 1, 2)


def test_cancelling_gives_the_units_back_to_a_running_session(
    flash_session,
    on_shelf_sku,
    buyer,
    own_store,
    warehouses,
    marketing,
    django_capture_on_commit_callbacks,
):
    from orders.promotions.flash import flash_session_close

    sku = on_shelf_sku(10)
    session = flash_session([(sku, "49.90", 2, 1)])
    member = buyer()
    order = _place(member, session, sku)
    _place(buyer(), session, sku)
    with pytest.raises(SoldOut):
        _place(buyer(), session, sku)
    # the gate (when Redis is configured) gets the unit back after commit
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(actor=member, order=order, reason="不要了")
    item = session.items.get()
    assert (item.sold, item.held) == (1, 1)
    assert FlashPurchase.objects.get(item=item, member=member).quantity == 0
    # The member may buy again (the limit counts live orders), and the unit is there.
    again = _place(member, session, sku)
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (10, 2)
    # After the end: a cancellation counts but holds nothing again.
    flash_session_close(actor=marketing, session=session)
    order_cancel(actor=member, order=again, reason="不要了")
    item.refresh_from_db()
    stock.refresh_from_db()
    assert (item.sold, item.held) == (1, 0)
    assert stock.reserved == 1
    call_command("stock_verify")


def test_the_unpaid_timeout_returns_the_units(flash_session, on_shelf_sku, buyer, own_store):
    from mall.core.actors import system_actor
    from orders.services.cancellation import orders_cancel_unpaid_due

    sku = on_shelf_sku(10)
    session = flash_session([(sku, "49.90", 2, 1)])
    order = _place(buyer(), session, sku)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert orders_cancel_unpaid_due(actor=system_actor()) == 1
    item = session.items.get()
    assert (item.sold, item.held) == (0, 2)


def test_the_storefront_api_places_a_flash_order_and_answers_409_sold_out(
    flash_session, on_shelf_sku, buyer, own_store, member_client
):
    sku = on_shelf_sku(10)
    session = flash_session([(sku, "49.90", 1, 1)])
    body = {
        "address": SHANGHAI,
        "lines": [{"sku": sku.code, "quantity": 1}],
        "flash_session": session.pk,
    }
    preview = member_client(buyer()).post("/api/v1/store/orders/preview/", body, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["goods_amount"] == "49.90"
    placed = member_client(buyer()).post("/api/v1/store/orders/", body, format="json")
    assert placed.status_code == 201, placed.content
    assert placed.json()["lines"][0]["unit_price"] == "49.90"
    lost = member_client(buyer()).post("/api/v1/store/orders/", body, format="json")
    assert lost.status_code == 409
    assert lost.json()["error"]["code"] == "sold_out"
    wrong = member_client(buyer()).post(
        "/api/v1/store/orders/", {**body, "flash_session": "x"}, format="json"
    )
    assert wrong.status_code == 400
    assert "flash_session" in wrong.json()["error"]["fields"]


def test_an_unreachable_gate_falls_back_to_the_database(
    flash_session, on_shelf_sku, buyer, own_store, settings
):
    settings.FLASH_GATE_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    sku = on_shelf_sku(10)
    session = flash_session([(sku, "49.90", 1, 1)])
    _place(buyer(), session, sku)
    with pytest.raises(SoldOut):
        _place(buyer(), session, sku)
    item = session.items.get()
    assert (item.sold, item.held) == (1, 0)
