# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""Flash sessions on SQLite: the price rule, the approval, the hold, the lazy open, close."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import SkuPriceChange
from dispatch.models import Stock, StockMovement
from mall.core.actors import system_actor
from ops.models import AuditEntry
from orders.exceptions import (
    InvalidPromotionInput,
    OrdersPermissionDenied,
    PromotionSameApprover,
    PromotionStateConflict,
)
from orders.models import ApprovalStatus, FlashSession
from orders.promotions import flash, flash_orders
from tests.orders.checkout_support import on_shelf_sku  # noqa: F401 - fixture
from tests.orders.promotions.flash_support import (  # noqa: F401 - fixtures
    flash_session,
    marketing,
    ops_lead,
)

P = ApprovalStatus


def _window(minutes_from_now: int = 60, length: int = 60):
    starts = timezone.now() + timedelta(minutes=minutes_from_now)
    return starts, starts + timedelta(minutes=length)


def test_flash_price_must_be_below_the_lowest_price_of_the_look_back_window(
    marketing, on_shelf_sku
):
    sku = on_shelf_sku(50, price="99.00")
    ten_days_ago = timezone.now() - timedelta(days=10)
    SkuPriceChange.objects.create(
        sku=sku,
        old_price_amount=Decimal("99.00"),
        new_price_amount=Decimal("80.00"),
        changed_by=marketing,
        changed_at=ten_days_ago,
    )
    SkuPriceChange.objects.create(
        sku=sku,
        old_price_amount=Decimal("80.00"),
        new_price_amount=Decimal("99.00"),
        changed_by=marketing,
        changed_at=ten_days_ago + timedelta(days=1),
    )
    starts, ends = _window()
    with pytest.raises(InvalidPromotionInput) as refused:
        flash.flash_session_create(
            actor=marketing,
            name="双十二",
            starts_at=starts,
            ends_at=ends,
            unpaid_minutes=5,
            items=[{"sku": sku, "flash_price": "85.00", "quota": 10, "per_member_limit": 1}],
        )
    message = refused.value.fields["items.0.flash_price"][0]
    assert "80.00" in message and sku.code in message
    assert not FlashSession.objects.exists()

    session = flash.flash_session_create(
        actor=marketing,
        name="双十二",
        starts_at=starts,
        ends_at=ends,
        unpaid_minutes=5,
        items=[{"sku": sku, "flash_price": "79.90", "quota": 10, "per_member_limit": 2}],
    )
    item = session.items.get()
    assert (item.flash_price_amount, item.reference_price_amount) == (
        Decimal("79.90"),
        Decimal("80.00"),
    )
    assert session.status == P.DRAFT
    assert AuditEntry.objects.filter(action="flash_session.create").count() == 1


def test_zero_price_and_limit_over_quota_are_field_errors_of_the_item(marketing, on_shelf_sku):
    sku = on_shelf_sku(50)
    starts, ends = _window()
    with pytest.raises(InvalidPromotionInput) as refused:
        flash.flash_session_create(
            actor=marketing,
            name="x",
            starts_at=starts,
            ends_at=ends,
            unpaid_minutes=5,
            items=[{"sku": sku, "flash_price": "0", "quota": 2, "per_member_limit": 3}],
        )
    assert set(refused.value.fields) == {
        "items.0.flash_price",
        "items.0.per_member_limit",
    }


def test_creator_never_approves_and_rejection_sends_back_to_draft(
    make_staff, marketing, ops_lead, on_shelf_sku
):
    from orders.permissions import ADD_FLASH_SESSION, APPROVE_FLASH_SESSION, CHANGE_FLASH_SESSION

    perms = (ADD_FLASH_SESSION, CHANGE_FLASH_SESSION, APPROVE_FLASH_SESSION)
    both = make_staff("both", perms=perms)
    sku = on_shelf_sku(50)
    starts, ends = _window()
    items = [{"sku": sku, "flash_price": "50.00", "quota": 5, "per_member_limit": 1}]
    session = flash.flash_session_create(
        actor=both, name="a", starts_at=starts, ends_at=ends, unpaid_minutes=5, items=items
    )
    flash.flash_session_submit(actor=both, session=session)
    with pytest.raises(PromotionSameApprover):
        flash.flash_session_approve(actor=both, session=session)
    with pytest.raises(OrdersPermissionDenied):
        flash.flash_session_approve(actor=marketing, session=session)
    flash.flash_session_reject(actor=ops_lead, session=session, reason="价格太低")
    session.refresh_from_db()
    assert (session.status, session.rejection_reason) == (P.DRAFT, "价格太低")
    flash.flash_session_update(actor=both, session=session, name="b")
    flash.flash_session_submit(actor=both, session=session)
    flash.flash_session_approve(actor=ops_lead, session=session)
    session.refresh_from_db()
    assert (session.status, session.name, session.approved_by_id) == (P.APPROVED, "b", ops_lead.pk)
    with pytest.raises(PromotionStateConflict):
        flash.flash_session_update(actor=both, session=session, name="c")
    actions = list(
        AuditEntry.objects.filter(action__startswith="flash_session.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "flash_session.create",
        "flash_session.submit",
        "flash_session.reject",
        "flash_session.update",
        "flash_session.submit",
        "flash_session.approve",
    ]


def test_opening_holds_the_quota_in_the_warehouse_with_most_sellable_units(
    flash_session, on_shelf_sku, warehouses
):
    sku = on_shelf_sku(30, where=("WH-SH", "WH-BJ"))
    Stock.objects.filter(sku=sku, warehouse=warehouses["WH-BJ"]).update(safety_stock=0)
    bj = Stock.objects.get(sku=sku, warehouse=warehouses["WH-BJ"])
    sh = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    # WH-SH has fewer sellable units once some are reserved for an order.
    from dispatch.services import StockChange, stock_move

    stock_move(
        actor=system_actor(),
        changes=[StockChange(sh.pk, StockMovement.Kind.ORDER_LOCK, reserved=5)],
        reference_type="order",
        reference_no="DDTEST",
    )
    session = flash_session([(sku, "50.00", 8, 2)])
    assert session.status == P.RUNNING and session.opened_at is not None
    item = session.items.get()
    assert (item.held, item.quota, item.warehouse_id) == (8, 8, warehouses["WH-BJ"].pk)
    bj.refresh_from_db()
    assert bj.reserved == 8
    movement = StockMovement.objects.get(kind=StockMovement.Kind.PROMOTION_HOLD)
    assert (movement.reference_type, movement.reference_no, movement.reserved_delta) == (
        "flash_session",
        f"FS{session.pk}",
        8,
    )
    call_command("stock_verify")


def test_short_stock_holds_what_is_sellable_and_lowers_the_quota(flash_session, on_shelf_sku):
    sku = on_shelf_sku(4)
    session = flash_session([(sku, "50.00", 10, 2)])
    item = session.items.get()
    assert (item.held, item.quota) == (4, 4)
    lowered = AuditEntry.objects.get(action="flash_session.quota_lowered")
    assert lowered.data["items"] == [{"sku_id": sku.pk, "quota": 10, "held": 4}]


def test_lazy_open_by_the_storefront_read_and_jobs_open_and_close(
    flash_session, on_shelf_sku, warehouses
):
    sku = on_shelf_sku(20)
    upcoming = flash_session([(sku, "50.00", 5, 1)], starts_in=timedelta(hours=1), open=False)
    due = flash_session([(sku, "40.00", 6, 1)], open=False)
    assert due.status == P.APPROVED
    listed = flash_orders.flash_sessions_for_store()
    assert [(s["id"], s["status"]) for s in listed] == [
        (due.pk, "running"),
        (upcoming.pk, "upcoming"),
    ]
    assert listed[0]["items"][0] == {
        "sku": sku.code,
        "title": sku.product.title,
        "flash_price": "40.00",
        "price": "99.00",
        "remaining": 6,
        "per_member_limit": 1,
    }
    due.refresh_from_db()
    assert due.status == P.RUNNING
    stock = Stock.objects.get(sku=sku, warehouse=warehouses["WH-SH"])
    assert stock.reserved == 6
    # The jobs: the upcoming one opens when its start has come, both close at their end.
    later = timezone.now() + timedelta(hours=1, minutes=1)
    assert flash.flash_sessions_open_due(actor=system_actor(), now=later) == 1
    stock.refresh_from_db()
    assert stock.reserved == 11
    assert flash.flash_sessions_close_due(actor=system_actor(), now=later + timedelta(hours=1)) == 2
    stock.refresh_from_db()
    assert stock.reserved == 0
    assert set(FlashSession.objects.values_list("status", flat=True)) == {P.ENDED}
    assert StockMovement.objects.filter(kind=StockMovement.Kind.PROMOTION_RELEASE).count() == 2
    call_command("stock_verify")


def test_cancel_only_before_running_and_close_is_idempotent(flash_session, on_shelf_sku, marketing):
    sku = on_shelf_sku(20)
    running = flash_session([(sku, "50.00", 5, 1)])
    with pytest.raises(PromotionStateConflict):
        flash.flash_session_cancel(actor=marketing, session=running, reason="停")
    approved = flash_session([(sku, "40.00", 5, 1)], starts_in=timedelta(hours=2), open=False)
    flash.flash_session_cancel(actor=marketing, session=approved, reason="取消")
    approved.refresh_from_db()
    assert (approved.status, approved.cancel_reason) == (P.CANCELLED, "取消")
    flash.flash_session_close(actor=marketing, session=running)
    flash.flash_session_close(actor=marketing, session=running)
    running.refresh_from_db()
    assert running.status == P.ENDED
    assert AuditEntry.objects.filter(action="flash_session.close").count() == 1


def test_an_editor_who_may_approve_never_approves_what_they_edited(
    make_staff, marketing, ops_lead, on_shelf_sku
):
    from orders.permissions import APPROVE_FLASH_SESSION, VIEW_FLASH_SESSION

    sku = on_shelf_sku(50)
    starts, ends = _window()
    items = [{"sku": sku, "flash_price": "50.00", "quota": 5, "per_member_limit": 1}]
    session = flash.flash_session_create(
        actor=marketing, name="a", starts_at=starts, ends_at=ends, unpaid_minutes=5, items=items
    )
    assert session.last_edited_by_id == marketing.pk
    # ops_lead may change and approve sessions: they edit marketing's draft …
    flash.flash_session_update(actor=ops_lead, session=session, name="改过")
    session.refresh_from_db()
    assert (session.last_edited_by_id, session.created_by_id) == (ops_lead.pk, marketing.pk)
    # … cannot submit it (only its creator does) …
    with pytest.raises(OrdersPermissionDenied) as refused:
        flash.flash_session_submit(actor=ops_lead, session=session)
    assert refused.value.status_code == 403 and "创建人" in str(refused.value.message)
    flash.flash_session_submit(actor=marketing, session=session)
    session.refresh_from_db()
    assert (session.status, session.submitted_by_id) == (P.PENDING_APPROVAL, marketing.pk)
    # … and neither approves nor rejects it
    with pytest.raises(PromotionSameApprover) as same:
        flash.flash_session_approve(actor=ops_lead, session=session)
    assert same.value.status_code == 403 and same.value.code == "same_approver"
    with pytest.raises(PromotionSameApprover):
        flash.flash_session_reject(actor=ops_lead, session=session, reason="不行")
    session.refresh_from_db()
    assert (session.status, session.approved_by_id) == (P.PENDING_APPROVAL, None)

    # a third person approves
    checker = make_staff("checker-t", perms=(VIEW_FLASH_SESSION, APPROVE_FLASH_SESSION))
    flash.flash_session_approve(actor=checker, session=session)
    session.refresh_from_db()
    assert (session.status, session.approved_by_id) == (P.APPROVED, checker.pk)
