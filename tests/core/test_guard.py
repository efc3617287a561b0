"""The kernel's risk hook: rules combine, blocks write nothing, answers name no rule."""

from __future__ import annotations

import pytest

from mall.core import guard as guard_module
from mall.core.guard import (
    BLOCK,
    REVIEW,
    RiskBlocked,
    RiskRateLimited,
    Verdict,
    guard,
    guard_or_raise,
    register_review_handler,
    register_rule,
    review_opened,
    unregister_rule,
)


@pytest.fixture
def rules():
    added: list[tuple[str, str]] = []

    def add(point, code, rule):
        register_rule(point, code, rule)
        added.append((point, code))

    yield add
    for point, code in added:
        unregister_rule(point, code)
    guard_module._review_handlers.clear()


def test_with_no_rule_every_action_is_allowed():
    verdict = guard("order.place", member=None)
    assert verdict.decision == "allow" and not verdict.blocked and verdict.findings == ()


def test_the_worst_verdict_wins_and_every_finding_is_kept(rules):
    rules("t.point", "soft", lambda **kw: Verdict(REVIEW, score=40, reason="odd"))
    rules("t.point", "hard", lambda **kw: Verdict(BLOCK, score=90, reason="ring"))
    rules("t.point", "quiet", lambda **kw: None)
    verdict = guard("t.point")
    assert verdict.decision == BLOCK and verdict.rule == "hard" and verdict.score == 90
    assert {finding.rule for finding in verdict.findings} == {"soft", "hard"}


def test_a_rule_that_raises_is_ignored_not_fatal(rules):
    def broken(**kw):
        raise RuntimeError("bug in a rule")

    rules("t.point", "broken", broken)
    assert guard("t.point").decision == "allow"


def test_rules_get_the_request_ip_and_device_by_default(rules):
    from mall.core.context import client_ip_var, device_id_var

    seen = {}
    rules("t.point", "spy", lambda **kw: seen.update(kw))
    ip, device = client_ip_var.set("10.0.0.9"), device_id_var.set("dev-1")
    try:
        guard("t.point", member="m")
    finally:
        client_ip_var.reset(ip)
        device_id_var.reset(device)
    assert seen == {
        "member": "m",
        "client_ip": "10.0.0.9",
        "device_id": "dev-1",
        "guard_memo": {},  # one per call, shared by its rules
    }


def test_the_rules_of_one_call_share_one_memo_and_the_next_call_gets_a_new_one(rules):
    memos = []
    rules("t.memo", "first", lambda guard_memo, **kw: memos.append(guard_memo))
    rules("t.memo", "second", lambda guard_memo, **kw: memos.append(guard_memo))
    guard("t.memo")
    guard("t.memo")
    assert memos[0] is memos[1] and memos[2] is memos[3] and memos[0] is not memos[2]


def test_a_block_raises_403_or_429_without_naming_the_rule(rules):
    rules("t.block", "secret-threshold", lambda **kw: Verdict(BLOCK, evidence={"n": 5}))
    with pytest.raises(RiskBlocked) as blocked:
        guard_or_raise("t.block")
    assert blocked.value.status_code == 403 and blocked.value.code == "risk_blocked"
    assert "secret-threshold" not in str(blocked.value.message) and not blocked.value.extra
    rules("t.fast", "velocity", lambda **kw: Verdict(BLOCK, rate_limited=True))
    with pytest.raises(RiskRateLimited) as limited:
        guard_or_raise("t.fast")
    assert limited.value.status_code == 429


def test_a_review_verdict_goes_to_the_case_openers(rules):
    opened = []
    register_review_handler(lambda **kw: opened.append(kw))
    rules("t.review", "odd", lambda **kw: Verdict(REVIEW, reason="odd"))
    verdict = guard_or_raise("t.review")
    review_opened(point="t.review", verdict=verdict, subject="order-1")
    assert opened and opened[0]["subject"] == "order-1" and opened[0]["verdict"].rule == "odd"


@pytest.mark.django_db
def test_a_blocked_storefront_registration_writes_nothing(rules, client):
    from members.models import Member

    rules("member.register", "burst", lambda **kw: Verdict(BLOCK))
    response = client.post(
        "/api/v1/store/auth/register/",
        {"phone": "13811112222", "password": "Strong-pass-2026"},
        content_type="application/json",
        HTTP_X_DEVICE_ID="device-a",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "risk_blocked"
    assert not Member.objects.exists()


@pytest.mark.django_db
def test_a_blocked_coupon_claim_writes_nothing(rules):
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from members.models import Coupon
    from members.services import coupon_claim, coupon_template_create, member_register

    staff = get_user_model().objects.create_superuser("boss", password="x-Strong-2026")
    template = coupon_template_create(
        actor=staff,
        name="满50减5",
        kind="amount_off",
        discount_amount=Decimal("5.00"),
        threshold_amount=Decimal("50.00"),
        validity="days",
        valid_days=3,
        total_stock=3,
    )
    member = member_register(actor=staff, phone="13811113333", password="Strong-pass-2026")
    rules("coupon.claim", "farming", lambda **kw: Verdict(BLOCK))
    with pytest.raises(RiskBlocked):
        coupon_claim(actor=member, member=member, template=template)
    assert not Coupon.objects.exists()
    template.refresh_from_db()
    assert template.issued_count == 0
