# ruff: noqa: F403
"""Deciding risk cases: confirm and dismiss (permission, scope, reason, decided twice,
the clock stops, notices resolve, audit), take and notes, reports by hand, closing
abusive orders by stage, and two officers deciding the same case at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ops.models import AuditEntry, SlaClock, StaffNotification
from risk.exceptions import (
    CaseNotFound,
    InvalidRiskInput,
    RiskPermissionDenied,
    RiskStateConflict,
)
from risk.models import BlacklistEntry, RiskCase, RiskMark
from risk.services.decisions import (
    case_close_orders,
    case_confirm,
    case_dismiss,
    case_note,
    case_report,
    case_take,
)
from tests.risk.admin_support import *

pytestmark = pytest.mark.django_db


def _actions(case) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(case.pk), action__startswith="risk.case")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_confirm_stops_the_clock_resolves_notices_marks_and_audits(
    open_case, make_order, stocked_sku, buyer, officer
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="paid")
    case = open_case(order=order, evidence={"devices": ["dev-abcdef123456"], "count": 6})
    clock = SlaClock.objects.get(kind="risk.case", subject_id=str(case.pk))
    assert clock.closed_at is None
    assert StaffNotification.objects.filter(
        recipient=officer, kind="risk.case_opened", resolved_at__isnull=True
    ).exists()

    case_confirm(
        actor=officer,
        case=case,
        reason="核实为刷单",
        mark_level="high",
        mark_days=30,
        blacklist=True,
    )

    case.refresh_from_db()
    assert (case.status, case.decided_by, case.decision_reason) == (
        "confirmed",
        officer,
        "核实为刷单",
    )
    assert case.handler == officer
    clock.refresh_from_db()
    assert clock.closed_at is not None and clock.closed_outcome == "met"
    assert not StaffNotification.objects.filter(
        subject_key__contains=str(case.pk), kind="risk.case_opened", resolved_at__isnull=True
    ).exists()
    mark = RiskMark.objects.get(member=buyer)
    assert (mark.level, mark.case, mark.expires_at is not None) == ("high", case, True)
    kinds = set(BlacklistEntry.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {"member", "device"}
    assert "risk.case_confirm" in _actions(case)
    assert AuditEntry.objects.filter(action="risk.mark_add").exists()


def test_dismiss_needs_a_reason_and_is_decided_once(open_case, buyer, officer):
    case = open_case(member=buyer)
    with pytest.raises(InvalidRiskInput) as refused:
        case_dismiss(actor=officer, case=case, reason="  ")
    assert refused.value.status_code == 400 and "reason" in refused.value.fields

    case_dismiss(actor=officer, case=case, reason="误报")
    case.refresh_from_db()
    assert case.status == "dismissed"
    with pytest.raises(RiskStateConflict) as twice:
        case_confirm(actor=officer, case=case, reason="再次确认")
    assert twice.value.status_code == 409
    with pytest.raises(RiskStateConflict):
        case_dismiss(actor=officer, case=case, reason="again")
    assert _actions(case).count("risk.case_dismiss") == 1
    clock = SlaClock.objects.get(kind="risk.case", subject_id=str(case.pk))
    assert clock.closed_at is not None


def test_deciding_needs_the_permission_and_the_case_in_scope(
    open_case, make_order, stocked_sku, buyer, viewer, north_officer
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="paid")  # 上海: east
    case = open_case(order=order)
    with pytest.raises(RiskPermissionDenied) as denied:
        case_confirm(actor=viewer, case=case, reason="x")
    assert denied.value.status_code == 403
    with pytest.raises(CaseNotFound) as hidden:
        case_dismiss(actor=north_officer, case=case, reason="x")
    assert hidden.value.status_code == 404
    case.refresh_from_db()
    assert case.status == "open"


def test_confirm_refuses_a_mark_without_a_member_or_of_an_unknown_level(open_case, officer):
    case = open_case(member=None)
    with pytest.raises(InvalidRiskInput) as refused:
        case_confirm(actor=officer, case=case, reason="x", mark_level="high")
    assert "mark_level" in refused.value.fields
    with pytest.raises(InvalidRiskInput):
        case_confirm(actor=officer, case=case, reason="x", mark_level="purple")
    case.refresh_from_db()
    assert case.status == "open"


def test_take_and_notes(open_case, buyer, officer, officer2):
    case = open_case(member=buyer)
    case_take(actor=officer, case=case)
    case_take(actor=officer, case=case)  # again: nothing new
    case_take(actor=officer2, case=case)
    case.refresh_from_db()
    assert case.handler == officer2
    assert _actions(case).count("risk.case_take") == 2

    case_note(actor=officer, case=case, note="联系了会员")
    case.refresh_from_db()
    assert "联系了会员" in case.notes
    with pytest.raises(InvalidRiskInput):
        case_note(actor=officer, case=case, note="")


def test_a_report_by_hand_opens_a_manual_case(make_order, stocked_sku, buyer, officer, viewer):
    order = make_order(buyer, [(stocked_sku(), 1)], status="paid")
    case = case_report(actor=officer, summary="客服反映疑似黄牛", order=order)
    assert (case.kind, case.status, case.member, case.region) == (
        "manual",
        "open",
        buyer,
        order.region,
    )
    with pytest.raises(RiskPermissionDenied):
        case_report(actor=viewer, summary="x", member=buyer)
    with pytest.raises(InvalidRiskInput):
        case_report(actor=officer, summary="x")


def test_closing_abusive_orders_by_stage(
    open_case, make_order, stocked_sku, buyer, officer, viewer, warehouses
):
    from dispatch.models import Stock
    from members.models import Coupon, CouponTemplate
    from orders.models import AfterSale

    sku = stocked_sku(10)
    template = CouponTemplate.objects.create(
        name="风控测试券",
        kind="amount_off",
        discount_amount="5.00",
        threshold_amount="0",
        total_stock=10,
        issued_count=1,
    )
    coupon = Coupon.objects.create(
        template=template,
        member=buyer,
        source=Coupon.Source.GRANT,
        valid_from=buyer.created_at,
        valid_until=buyer.created_at.replace(year=2100),
        status=Coupon.Status.LOCKED,
    )
    unpaid = make_order(buyer, [(sku, 1)], status="pending_payment", coupon=coupon)
    Coupon.objects.filter(pk=coupon.pk).update(order_no=unpaid.order_no)  # locked by it
    paid = make_order(buyer, [(sku, 2)], status="paid")
    shipped = make_order(buyer, [(sku, 1)], status="shipped")
    reserved_before = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku).reserved
    case = open_case(
        member=buyer,
        kind=RiskCase.Kind.BRUSHING_RING,
        evidence={"orders": [unpaid.order_no, paid.order_no, shipped.order_no]},
    )

    with pytest.raises(RiskPermissionDenied):
        case_close_orders(actor=viewer, case=case, reason="刷单")
    with pytest.raises(InvalidRiskInput):
        case_close_orders(actor=officer, case=case, reason="")
    with pytest.raises(RiskStateConflict):  # an open case is a suspicion: nothing closes
        case_close_orders(actor=officer, case=case, reason="刷单")
    case_confirm(actor=officer, case=case, reason="刷单团伙属实")

    closed = case_close_orders(actor=officer, case=case, reason="刷单团伙")

    assert sorted(closed) == sorted([unpaid.order_no, paid.order_no])
    for order in (unpaid, paid, shipped):
        order.refresh_from_db()
    assert (unpaid.status, paid.status, shipped.status) == ("closed", "closed", "shipped")
    reserved_after = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku).reserved
    assert reserved_after == reserved_before - 3  # the unpaid and paid orders' units
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.USED  # an abusive order's coupon is spent
    refund = AfterSale.objects.get(order=paid)
    assert refund.kind == AfterSale.Kind.REFUND_ONLY
    assert not AfterSale.objects.filter(order=unpaid).exists()
    assert not AfterSale.objects.filter(order=shipped).exists()
    assert "risk.case_close_orders" in _actions(case)
    # again: nothing left to close
    assert case_close_orders(actor=officer, case=case, reason="again") == []


@pytest.mark.django_db(transaction=True)
def test_two_officers_confirming_at_once_one_wins(open_case, buyer, officer, officer2):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    case = open_case(member=buyer)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def decide(user, reason):
        try:
            barrier.wait(timeout=10)
            case_confirm(actor=user, case=RiskCase.objects.get(pk=case.pk), reason=reason)
            results.append("ok")
        except RiskStateConflict:
            results.append("conflict")
        finally:
            connection.close()  # this thread's own connection

    threads = [
        threading.Thread(target=decide, args=(officer, "甲确认")),
        threading.Thread(target=decide, args=(officer2, "乙确认")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["conflict", "ok"]
    case.refresh_from_db()
    assert case.status == "confirmed"
    assert _actions(case).count("risk.case_confirm") == 1
