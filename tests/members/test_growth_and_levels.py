"""Growth ledger rules: idempotent per (reason, reference), rollbacks, levels and history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from members.levels import level_rank_for_growth
from members.models import (
    GrowthEntry,
    GrowthReason,
    LevelChange,
    Member,
)
from members.selectors import growth_verify
from members.services import (
    growth_record,
    growth_record_daily_login,
    growth_record_purchase,
    growth_record_review,
    growth_rollback_purchase,
    growth_rollback_review,
    level_rule_update,
)
from ops.models import SystemParameter


def set_parameter(key: str, value) -> None:
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    cache.delete(f"sysparam:{key}")


def test_purchase_growth_is_paid_amount_times_coefficient_rounded_down(member):
    set_parameter("members.growth_purchase_coefficient", "1.5")
    entry = growth_record_purchase(
        actor=member, member=member, order_no="DD1", paid_amount=Decimal("99.99")
    )
    assert entry.amount == 149
    member.refresh_from_db()
    assert member.growth == 149


def test_a_retried_purchase_grant_never_doubles(member):
    first = growth_record_purchase(
        actor=member, member=member, order_no="DD1", paid_amount="300.00"
    )
    second = growth_record_purchase(
        actor=member, member=member, order_no="DD1", paid_amount="300.00"
    )
    assert first.pk == second.pk
    member.refresh_from_db()
    assert member.growth == 300
    assert GrowthEntry.objects.filter(member=member).count() == 1


def test_daily_first_login_grants_growth_once_per_day(member):
    growth_record_daily_login(actor=member, member=member, day=date(2026, 6, 1))
    growth_record_daily_login(actor=member, member=member, day=date(2026, 6, 1))
    growth_record_daily_login(actor=member, member=member, day=date(2026, 6, 2))
    member.refresh_from_db()
    assert member.growth == 10
    assert GrowthEntry.objects.filter(member=member, reason=GrowthReason.LOGIN).count() == 2


def test_levels_follow_the_thresholds_up_and_down_with_history(member):
    assert member.level.code == "VIP1"
    growth_record_purchase(actor=member, member=member, order_no="DD1", paid_amount="2500.00")
    member.refresh_from_db()
    assert member.level.code == "VIP3"
    growth_rollback_purchase(
        actor=member, member=member, order_no="DD1", reference="SH1", refunded_amount="2500.00"
    )
    member.refresh_from_db()
    assert member.growth == 0
    assert member.level.code == "VIP1"
    history = list(LevelChange.objects.filter(member=member).order_by("id"))
    assert [(c.from_level.code, c.to_level.code) for c in history] == [
        ("VIP1", "VIP3"),
        ("VIP3", "VIP1"),
    ]


def test_thresholds_are_system_parameters(member):
    set_parameter("members.level_threshold_vip2", 100)
    growth_record_purchase(actor=member, member=member, order_no="DD1", paid_amount="150.00")
    member.refresh_from_db()
    assert member.level.code == "VIP2"
    assert level_rank_for_growth(80000) == 7
    assert level_rank_for_growth(0) == 1


def test_partial_refund_rolls_back_a_proportional_share_once(member):
    growth_record_purchase(actor=member, member=member, order_no="DD1", paid_amount="1000.00")
    growth_rollback_purchase(
        actor=member, member=member, order_no="DD1", reference="SH1", refunded_amount="250.00"
    )
    growth_rollback_purchase(
        actor=member, member=member, order_no="DD1", reference="SH1", refunded_amount="250.00"
    )
    member.refresh_from_db()
    assert member.growth == 750
    # More refunds can never take back more than the order granted.
    growth_rollback_purchase(
        actor=member, member=member, order_no="DD1", reference="SH2", refunded_amount="1000.00"
    )
    member.refresh_from_db()
    assert member.growth == 0
    assert growth_verify(actor=member, member=member)


def test_review_growth_needs_an_item_of_at_least_twenty_yuan(member):
    assert (
        growth_record_review(actor=member, member=member, review_id="R1", item_price="19.99") == []
    )
    entries = growth_record_review(
        actor=member, member=member, review_id="R2", item_price="20.00", photo_rank=3
    )
    assert [(e.reason, e.amount) for e in entries] == [("review", 20), ("photo_review", 20)]
    late = growth_record_review(
        actor=member, member=member, review_id="R3", item_price="50.00", photo_rank=11
    )
    assert [e.reason for e in late] == ["review"]
    assert (
        growth_record_review(
            actor=member, member=member, review_id="R4", item_price="99", is_virtual=True
        )
        == []
    )
    member.refresh_from_db()
    assert member.growth == 60


def test_a_deleted_review_takes_its_growth_back(member):
    growth_record_review(
        actor=member, member=member, review_id="R1", item_price="20.00", photo_rank=1
    )
    growth_rollback_review(actor=member, member=member, review_id="R1")
    growth_rollback_review(actor=member, member=member, review_id="R1")
    member.refresh_from_db()
    assert member.growth == 0
    assert growth_verify(actor=member, member=member)


def test_growth_never_goes_below_zero(member):
    entry = growth_record(
        actor=member, member=member, reason=GrowthReason.ADJUSTMENT, reference="x", amount=-50
    )
    assert entry.amount == 0
    member.refresh_from_db()
    assert member.growth == 0


def test_same_reference_for_another_member_does_not_double(make_member):
    first, second = make_member(), make_member()
    growth_record(
        actor=first, member=first, reason=GrowthReason.PURCHASE, reference="DD9", amount=10
    )
    from members.exceptions import LedgerReferenceTaken

    # Another member's entry is never handed back as if it were this member's.
    with pytest.raises(LedgerReferenceTaken):
        growth_record(
            actor=second, member=second, reason=GrowthReason.PURCHASE, reference="DD9", amount=10
        )
    assert Member.objects.get(pk=second.pk).growth == 0
    assert Member.objects.get(pk=first.pk).growth == 10


def test_level_rules_reject_a_discount_above_one(member, superuser):
    level = member.level
    from members.exceptions import InvalidLevelRule

    with pytest.raises(InvalidLevelRule):
        level_rule_update(actor=superuser, level=level, discount_rate=Decimal("1.2"))
    updated = level_rule_update(actor=superuser, level=level, free_shipping=True)
    assert updated.free_shipping is True


def test_a_birthday_coupon_must_be_an_active_system_granted_template(staff_client, superuser):
    from members.exceptions import InvalidLevelRule
    from members.models import Level
    from members.services import coupon_template_create, level_rule_update

    common = {"kind": "free_shipping", "validity": "days", "valid_days": 7, "total_stock": 50}
    claimable = coupon_template_create(actor=superuser, name="人人可领", **common)
    granted_only = coupon_template_create(
        actor=superuser, name="生日券", is_claimable=False, **common
    )
    level = Level.objects.get(rank=3)
    with pytest.raises(InvalidLevelRule):
        level_rule_update(actor=superuser, level=level, birthday_coupon=claimable)
    response = staff_client(superuser).patch(
        reverse("member-level-detail", args=[level.pk]),
        {"birthday_coupon": claimable.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "birthday_coupon" in response.json()["error"]["fields"]
    level = level_rule_update(actor=superuser, level=level, birthday_coupon=granted_only)
    assert level.birthday_coupon_id == granted_only.pk
    assert (
        level_rule_update(actor=superuser, level=level, birthday_coupon=None).birthday_coupon_id
        is None
    )


def test_birthday_points_are_bounded_like_the_api_says(superuser):
    from members.exceptions import InvalidLevelRule
    from members.models import Level
    from members.services import level_rule_update

    level = Level.objects.get(rank=2)
    with pytest.raises(InvalidLevelRule) as raised:
        level_rule_update(actor=superuser, level=level, birthday_points=2_000_000_000)
    assert "birthday_points" in raised.value.fields
    assert level_rule_update(actor=superuser, level=level, birthday_points=1_000_000)
