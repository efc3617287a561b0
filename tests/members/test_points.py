"""Points ledger with lots: earn, spend FIFO by expiry, refund, expire by lot, verify."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from mall.core.actors import system_actor
from members.exceptions import InsufficientPoints, PointsCapExceeded
from members.models import PointsEntry, PointsLot, PointsReason
from members.selectors import points_verify
from members.services import (
    points_deduction_quote,
    points_earn,
    points_expire_due,
    points_refund,
    points_spend,
    points_spend_for_checkout,
)
from ops.models import SystemParameter


def set_parameter(key: str, value) -> None:
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    cache.delete(f"sysparam:{key}")


def earn(member, points, reference, days_ago=0):
    return points_earn(
        actor=member,
        member=member,
        reason=PointsReason.PURCHASE,
        reference=reference,
        points=points,
        now=timezone.now() - timedelta(days=days_ago),
    )


def test_earning_twice_with_one_reference_counts_once(member):
    earn(member, 100, "DD1")
    earn(member, 100, "DD1")
    member.refresh_from_db()
    assert member.points_balance == 100
    assert points_verify(actor=member, member=member).ok


def test_spending_takes_the_lots_that_expire_first(member):
    old = earn(member, 100, "DD1", days_ago=300).lot
    new = earn(member, 100, "DD2", days_ago=10).lot
    points_spend(
        actor=member, member=member, reason=PointsReason.POINTS_MALL, reference="PM1", points=150
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.remaining, new.remaining) == (0, 50)
    assert points_verify(actor=member, member=member).ok


def test_spending_more_than_available_changes_nothing(member):
    earn(member, 100, "DD1")
    with pytest.raises(InsufficientPoints):
        points_spend(
            actor=member, member=member, reason=PointsReason.EXCHANGE, reference="EX1", points=101
        )
    member.refresh_from_db()
    assert member.points_balance == 100
    assert not PointsEntry.objects.filter(reason=PointsReason.EXCHANGE).exists()


def test_expiry_removes_exactly_the_remainder_of_each_expired_lot_once(member):
    set_parameter("members.points_expiry_days", 30)
    expired_lot = earn(member, 100, "DD1", days_ago=40).lot
    fresh_lot = earn(member, 70, "DD2", days_ago=5).lot
    # Part of the old lot was spent before it expired.
    PointsLot.objects.filter(pk=expired_lot.pk).update(remaining=60)
    PointsEntry.objects.create(
        member=member,
        reason=PointsReason.ADJUSTMENT,
        reference="fix",
        points=-40,
        balance_after=130,
    )
    type(member).objects.filter(pk=member.pk).update(points_balance=130)
    assert points_expire_due(actor=system_actor()) == 1
    assert points_expire_due(actor=system_actor()) == 0
    member.refresh_from_db()
    assert member.points_balance == 70
    expired_lot.refresh_from_db()
    fresh_lot.refresh_from_db()
    assert (expired_lot.remaining, fresh_lot.remaining) == (0, 70)
    entry = PointsEntry.objects.get(reason=PointsReason.EXPIRY)
    assert entry.points == -60
    assert points_verify(actor=member, member=member).ok


def test_expired_but_not_yet_swept_points_cannot_be_spent(member):
    set_parameter("members.points_expiry_days", 30)
    earn(member, 100, "DD1", days_ago=31)
    with pytest.raises(InsufficientPoints):
        points_spend(
            actor=member, member=member, reason=PointsReason.CHECKOUT, reference="DD2", points=10
        )


def test_checkout_deduction_respects_rate_and_cap(member):
    earn(member, 50_000, "DD1")
    quote = points_deduction_quote(actor=member, member=member, order_amount=Decimal("100.00"))
    # Cap 50 % of 100.00 = 50.00 yuan = 5000 points at 100 points per yuan.
    assert (quote.max_points, quote.points, quote.deduction_amount) == (
        5000,
        5000,
        Decimal("50.00"),
    )
    with pytest.raises(PointsCapExceeded):
        points_deduction_quote(actor=member, member=member, order_amount="100.00", points=5001)
    entry, deduction = points_spend_for_checkout(
        actor=member, member=member, order_no="DD9", points=1234, order_amount="100.00"
    )
    assert (entry.points, deduction) == (-1234, Decimal("12.34"))


def test_refund_returns_points_to_their_lots_once_and_expired_parts_as_a_new_lot(member):
    set_parameter("members.points_expiry_days", 30)
    soon = earn(member, 100, "DD1", days_ago=29).lot
    later = earn(member, 100, "DD2", days_ago=1).lot
    points_spend(
        actor=member, member=member, reason=PointsReason.CHECKOUT, reference="DD3", points=150
    )
    # The first lot expires before the refund.
    PointsLot.objects.filter(pk=soon.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    points_refund(actor=member, member=member, spend_reference="DD3", reference="cancel:DD3")
    points_refund(actor=member, member=member, spend_reference="DD3", reference="cancel:DD3")
    member.refresh_from_db()
    assert member.points_balance == 200
    later.refresh_from_db()
    assert later.remaining == 100
    replacement = PointsLot.objects.get(reason=PointsReason.REFUND)
    assert replacement.remaining == 100
    assert points_verify(actor=member, member=member).ok


def test_partial_refunds_cannot_exceed_the_spend(member):
    from members.exceptions import PointsNotRefundable

    earn(member, 100, "DD1")
    points_spend(
        actor=member, member=member, reason=PointsReason.CHECKOUT, reference="DD3", points=80
    )
    points_refund(actor=member, member=member, spend_reference="DD3", reference="R1", points=50)
    with pytest.raises(PointsNotRefundable):
        points_refund(actor=member, member=member, spend_reference="DD3", reference="R2", points=31)
    points_refund(actor=member, member=member, spend_reference="DD3", reference="R3", points=30)
    member.refresh_from_db()
    assert member.points_balance == 100
    assert points_verify(actor=member, member=member).ok


def test_verify_notices_a_balance_that_drifted_from_the_ledger(member):
    earn(member, 100, "DD1")
    type(member).objects.filter(pk=member.pk).update(points_balance=90)
    check = points_verify(actor=member, member=member)
    assert not check.ok
    assert (check.balance, check.ledger_total, check.lots_total) == (90, 100, 100)


def test_purchase_and_activity_points_follow_the_parameters(member):
    from members.services import points_earn_for_activity, points_earn_for_purchase

    set_parameter("members.points_purchase_per_yuan", 2)
    assert (
        points_earn_for_purchase(
            actor=member, member=member, order_no="DD1", paid_amount="99.99"
        ).points
        == 198
    )
    assert (
        points_earn_for_purchase(
            actor=member, member=member, order_no="DD1", paid_amount="99.99"
        ).points
        == 198
    )
    assert (
        points_earn_for_activity(
            actor=member, member=member, reason="review", reference="R1"
        ).points
        == 20
    )
    assert (
        points_earn_for_activity(actor=member, member=member, reason="share", reference="S1").points
        == 5
    )
    member.refresh_from_db()
    assert member.points_balance == 223
