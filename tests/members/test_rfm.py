"""Nightly RFM: the eight-segment table pinned on a fixture, counted orders, win-back,
one run per date (members.services.rfm, orders.rfm_source)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import MemberRfm, RfmRun, RfmSegment

RUN_DATE = date(2026, 6, 1)
_phones = itertools.count(13700000000)


def window_end() -> datetime:
    """The local midnight starting the run date (the window's end)."""
    return timezone.make_aware(datetime.combine(RUN_DATE, datetime.min.time()))


def paid_order(
    member,
    *,
    days_ago: float,
    amount: str,
    status: str = "completed",
    brushed: bool = False,
    refunded: str = "0",
    paid: bool = True,
):
    """An order of ``member`` paid ``days_ago`` days before the window end."""
    from orders.models import Order
    from orders.numbers import new_number
    from rbac.models import Province
    from tests.payments.scope_cases import _sales_channel

    province = Province.objects.order_by("code").first()
    order = Order(
        order_no=new_number("DD"),
        member=member,
        channel=_sales_channel(),
        region_id=province.region_id,
        province=province,
        status=status,
        city="市",
        goods_amount=Decimal(amount),
        total_amount=Decimal(amount),
        paid_amount=Decimal(amount) if paid else Decimal("0"),
        refunded_amount=Decimal(refunded),
        paid_at=window_end() - timedelta(days=days_ago) if paid else None,
        is_brushed=brushed,
    )
    order.recipient = "测试"
    order.phone = "13900000000"
    order.detail = "测试路 1 号"
    order.save()
    return order


def buyer(make_member, *, province: str | None = None):
    return make_member(str(next(_phones)), province=province)


def give_orders(member, *, recency: int, frequency: int, monetary: int):
    """``frequency`` counted orders adding up to ``monetary`` yuan, the latest paid
    ``recency`` days (and two hours) before the window end."""
    paid_order(member, days_ago=recency + 1 / 12, amount=str(monetary - 10 * (frequency - 1)))
    for extra in range(1, frequency):
        paid_order(member, days_ago=recency + 1 + extra, amount="10")


# (segment, recency days, frequency, monetary yuan) → expected (R, F, M) scores.
# Means: recency 113.75 days, frequency 5, monetary 3375.
# NTILE(5) over 8 members makes groups of 2, 2, 2, 1, 1.
EIGHT_SEGMENTS = [
    ("A", 5, 9, 8000, (5, 5, 5), RfmSegment.IMPORTANT_VALUE, "重要价值客户"),
    ("B", 10, 1, 7000, (4, 1, 4), RfmSegment.IMPORTANT_DEVELOP, "重要发展客户"),
    ("C", 200, 8, 6000, (2, 4, 3), RfmSegment.IMPORTANT_KEEP, "重要保持客户"),
    ("D", 210, 2, 5000, (2, 1, 3), RfmSegment.IMPORTANT_RETAIN, "重要挽留客户"),
    ("E", 15, 7, 400, (3, 3, 2), RfmSegment.GENERAL_VALUE, "一般价值客户"),
    ("F", 20, 3, 300, (3, 2, 2), RfmSegment.GENERAL_DEVELOP, "一般发展客户"),
    ("G", 220, 6, 200, (1, 3, 1), RfmSegment.GENERAL_KEEP, "一般保持客户"),
    ("H", 230, 4, 100, (1, 2, 1), RfmSegment.GENERAL_RETAIN, "一般挽留客户"),
]


@pytest.fixture
def eight_segments(make_member):
    """One member per segment, plus orders that must not count (brushed, cancelled after
    payment, closed, refunded in full, unpaid); returns {letter: member}."""
    members = {}
    for letter, recency, frequency, monetary, *_rest in EIGHT_SEGMENTS:
        members[letter] = buyer(make_member)
        give_orders(members[letter], recency=recency, frequency=frequency, monetary=monetary)
    # None of these counts: each would move H, C, E, G or A into another segment.
    paid_order(members["H"], days_ago=0.5, amount="50000", brushed=True)
    paid_order(members["C"], days_ago=1, amount="90000", status="cancelled", refunded="90000")
    paid_order(members["E"], days_ago=1, amount="90000", status="closed", refunded="90000")
    paid_order(members["G"], days_ago=1, amount="90000", refunded="90000")
    paid_order(members["A"], days_ago=0.2, amount="90000", status="pending_payment", paid=False)
    # a partial refund counts what was kept: B pays 7000 + 500 − 500
    paid_order(members["B"], days_ago=30, amount="500", refunded="500")
    return members


def run(day: date = RUN_DATE) -> RfmRun:
    from mall.core.actors import system_actor
    from members.services.rfm import rfm_run

    return rfm_run(actor=system_actor(), run_date=day)


def test_the_eight_segment_table_is_scored_exactly(eight_segments):
    rfm_run_result = run()
    assert rfm_run_result.members_scored == 8
    for letter, recency, frequency, monetary, scores, segment, _label in EIGHT_SEGMENTS:
        row = MemberRfm.objects.get(member=eight_segments[letter])
        assert (row.recency_days, row.frequency, row.monetary_amount) == (
            recency,
            frequency,
            Decimal(monetary),
        ), letter
        assert (row.r_score, row.f_score, row.m_score) == scores, letter
        assert row.segment == segment, letter
        assert not row.is_win_back


def test_the_eight_segments_read_in_chinese(eight_segments):
    run()
    for letter, *_figures, segment, label in EIGHT_SEGMENTS:
        row = MemberRfm.objects.get(member=eight_segments[letter])
        assert (row.segment, row.get_segment_display()) == (segment, label), letter


def test_brushed_cancelled_closed_and_fully_refunded_orders_do_not_count(make_member):
    member = buyer(make_member)
    paid_order(member, days_ago=3, amount="120")
    paid_order(member, days_ago=1, amount="999", brushed=True)
    paid_order(member, days_ago=1, amount="999", status="cancelled", refunded="999")
    paid_order(member, days_ago=1, amount="999", status="closed", refunded="999")
    paid_order(member, days_ago=1, amount="999", refunded="999")
    paid_order(member, days_ago=2, amount="80", refunded="30")
    only_brushed = buyer(make_member)
    paid_order(only_brushed, days_ago=1, amount="999", brushed=True)
    run()
    row = MemberRfm.objects.get(member=member)
    assert (row.frequency, row.monetary_amount, row.recency_days) == (2, Decimal("170.00"), 2)
    assert not MemberRfm.objects.filter(member=only_brushed).exists()


def test_orders_outside_the_window_are_not_scored(make_member):
    member = buyer(make_member)
    paid_order(member, days_ago=10, amount="50")
    paid_order(member, days_ago=365.5, amount="5000")  # before the 365-day window
    paid_order(member, days_ago=-0.5, amount="5000")  # on the run date itself
    run()
    row = MemberRfm.objects.get(member=member)
    assert (row.frequency, row.monetary_amount, row.previous_frequency) == (
        1,
        Decimal("50.00"),
        1,
    )


def test_a_sharp_drop_against_the_previous_window_is_flagged_for_win_back(make_member):
    def member_with(previous: int, current: int):
        member = buyer(make_member)
        for n in range(previous):
            paid_order(member, days_ago=400 + n, amount="100")
        for n in range(current):
            paid_order(member, days_ago=10 + n, amount="100")
        return member

    dropped = member_with(4, 2)  # 50 %: at the threshold
    kept_up = member_with(4, 3)  # 75 %
    gone = member_with(2, 0)  # bought nothing this window
    too_few_before = member_with(1, 0)  # below the minimum of 2 previous orders
    new = member_with(0, 1)
    rfm = run()
    flags = {
        name: (row.is_win_back, row.previous_frequency, row.frequency)
        for name, member in [
            ("dropped", dropped),
            ("kept_up", kept_up),
            ("gone", gone),
            ("too_few_before", too_few_before),
            ("new", new),
        ]
        for row in [MemberRfm.objects.get(member=member)]
    }
    assert flags == {
        "dropped": (True, 4, 2),
        "kept_up": (False, 4, 3),
        "gone": (True, 2, 0),
        "too_few_before": (False, 1, 0),
        "new": (False, 0, 1),
    }
    assert (rfm.members_scored, rfm.members_win_back) == (3, 2)
    gone_row = MemberRfm.objects.get(member=gone)
    assert (gone_row.segment, gone_row.r_score, gone_row.recency_days) == ("", None, None)


def test_the_win_back_threshold_is_a_parameter(make_member):
    from ops.models import SystemParameter

    SystemParameter.objects.create(key="members.rfm_win_back_drop_percent", value=80)
    member = buyer(make_member)
    for n in range(4):
        paid_order(member, days_ago=400 + n, amount="100")
    for n in range(3):
        paid_order(member, days_ago=10 + n, amount="100")
    run()
    assert MemberRfm.objects.get(member=member).is_win_back


def test_a_second_run_on_the_same_date_changes_nothing_and_audits_once(eight_segments):
    from ops.models import AuditEntry

    first = run()
    before = list(MemberRfm.objects.order_by("pk").values())
    paid_order(eight_segments["H"], days_ago=1, amount="100000")
    second = run()
    assert second.pk == first.pk
    assert list(MemberRfm.objects.order_by("pk").values()) == before
    assert AuditEntry.objects.filter(action="member.rfm_run").count() == 1


def test_the_next_days_run_replaces_every_result(eight_segments):
    run()
    paid_order(eight_segments["H"], days_ago=0.5, amount="100000")
    next_run = run(RUN_DATE + timedelta(days=1))
    assert RfmRun.objects.count() == 2
    assert set(MemberRfm.objects.values_list("run_id", flat=True)) == {next_run.pk}
    h = MemberRfm.objects.get(member=eight_segments["H"])
    assert (h.frequency, h.recency_days, h.segment) == (5, 1, RfmSegment.IMPORTANT_DEVELOP)


def test_a_late_run_for_an_earlier_date_never_replaces_newer_results(eight_segments):
    newer = run(RUN_DATE + timedelta(days=1))
    before = list(MemberRfm.objects.order_by("pk").values())

    late = run(RUN_DATE)

    assert late.pk == newer.pk
    assert RfmRun.objects.count() == 1
    assert list(MemberRfm.objects.order_by("pk").values()) == before


def test_a_run_is_audited_with_its_counts(eight_segments):
    from ops.models import AuditEntry

    rfm = run()
    entry = AuditEntry.objects.get(action="member.rfm_run")
    assert (entry.object_id, entry.data["members_scored"], entry.data["window_days"]) == (
        str(rfm.pk),
        8,
        365,
    )


def test_with_nobody_having_paid_a_run_scores_nobody(db):
    rfm = run()
    assert (rfm.members_scored, rfm.members_win_back, MemberRfm.objects.count()) == (0, 0, 0)


def test_the_task_runs_the_service_and_records_the_job(eight_segments):
    from mall.core.models import JobRun
    from members.tasks import rfm_run_task

    result = rfm_run_task.delay(RUN_DATE.isoformat()).get()
    assert result["members_scored"] == 8
    assert JobRun.objects.get(name="members.rfm_run").status == "succeeded"


def test_only_the_system_runs_rfm_and_a_refusal_writes_nothing(eight_segments, make_staff):
    from mall.core.exceptions import PermissionDeniedError
    from members.services.rfm import rfm_run
    from ops.models import AuditEntry

    with pytest.raises(PermissionDeniedError):
        rfm_run(actor=make_staff("boss", superuser=True), run_date=RUN_DATE)
    assert not RfmRun.objects.exists() and not MemberRfm.objects.exists()
    assert not AuditEntry.objects.filter(action="member.rfm_run").exists()
