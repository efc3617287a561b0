"""Risk rules at coupon claims (issue 16): ``coupon_velocity`` and
``coupon_multi_account`` — each fires through the storefront API and lets honest
behaviour pass; a block writes no coupon and answers the API error shape; a review
lets the claim through."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from members.models import Coupon
from members.services import coupon_template_create, member_register, member_token_issue
from ops.models import SystemParameter
from ops.parameters import forget_cached
from risk.models import RiskCase, RiskEvent
from risk.rules.base import REGISTERED

PASSWORD = "mall-demo-2026"
_phones = itertools.count(13600000000)


def set_param(key, value):
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


@pytest.fixture
def make_member(db):
    def make(phone=None):
        # no request context: no IP or device, so registration rules have nothing to say
        return member_register(actor=None, phone=phone or str(next(_phones)), password=PASSWORD)

    return make


@pytest.fixture
def make_template(superuser):
    names = itertools.count(1)

    def make(**overrides):
        values = {
            "name": f"满100减{next(names)}",
            "kind": "amount_off",
            "discount_amount": Decimal("5.00"),
            "threshold_amount": Decimal("100.00"),
            "validity": "days",
            "valid_days": 7,
            "total_stock": 100,
            "per_member_limit": 1,
        }
        values.update(overrides)
        return coupon_template_create(actor=superuser, **values)

    return make


@pytest.fixture
def claim(django_capture_on_commit_callbacks):
    def claim(member, template, *, ip, device):
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {member_token_issue(actor=member, member=member)}"
        )
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("store-coupon-claim", args=[template.pk]),
                REMOTE_ADDR=ip,
                HTTP_X_DEVICE_ID=device,
            )

    return claim


def test_the_rules_are_registered_at_the_claim_point():
    assert REGISTERED["coupon_velocity"] == ["coupon.claim"]
    assert REGISTERED["coupon_multi_account"] == ["coupon.claim"]


# --- coupon_velocity -------------------------------------------------------------------


def test_coupon_velocity_blocks_an_account_claiming_too_fast(make_member, make_template, claim):
    set_param("risk.coupon_per_member_hour", 2)
    member = make_member()
    templates = [make_template() for _ in range(3)]
    answers = [
        claim(member, template, ip=f"10.7.0.{i}", device=f"d{i}")
        for i, template in enumerate(templates)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert not Coupon.objects.filter(template=templates[-1]).exists()  # nothing written
    event = RiskEvent.objects.get(rule="coupon_velocity")
    assert event.member == member and event.decision == "block"
    finding = event.evidence["findings"][0]
    assert finding["over"] == ["member"] and finding["counts"]["member"] == 2
    assert member.phone not in str(event.evidence)


def test_coupon_velocity_blocks_a_device_used_by_many_accounts(make_member, make_template, claim):
    set_param("risk.coupon_per_device_hour", 2)
    set_param("risk.coupon_accounts_per_device", 10)  # isolate from the farming rule
    members = [make_member() for _ in range(3)]
    templates = [make_template() for _ in range(3)]
    answers = [
        claim(member, template, ip=f"10.7.1.{i}", device="one-device")
        for i, (member, template) in enumerate(zip(members, templates, strict=True))
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert Coupon.objects.count() == 2


def test_coupon_velocity_blocks_an_ip(make_member, make_template, claim):
    set_param("risk.coupon_per_ip_hour", 2)
    members = [make_member() for _ in range(3)]
    template = make_template()
    answers = [
        claim(member, template, ip="10.7.2.1", device=f"d{i}") for i, member in enumerate(members)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert RiskEvent.objects.get().evidence["findings"][0]["over"] == ["ip"]


def test_coupon_velocity_lets_an_ordinary_shopper_through(make_member, make_template, claim):
    member = make_member()
    answers = [claim(member, make_template(), ip="10.7.3.1", device="mine") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert not RiskEvent.objects.exists()


# --- coupon_multi_account --------------------------------------------------------------


def test_multi_account_blocks_another_account_on_a_farming_device(
    make_member, make_template, claim
):
    set_param("risk.coupon_accounts_per_device", 2)
    template = make_template()
    members = [make_member() for _ in range(3)]
    answers = [
        claim(member, template, ip=f"10.6.0.{i}", device="farm") for i, member in enumerate(members)
    ]
    assert [a.status_code for a in answers] == [201, 201, 403]
    assert answers[-1].json()["error"]["code"] == "risk_blocked"
    assert not Coupon.objects.filter(member=members[-1]).exists()
    finding = RiskEvent.objects.get(rule="coupon_multi_account").evidence["findings"][0]
    assert finding["over"] == ["device"] and finding["other_accounts"]["device"] == 2
    assert finding["devices"] == ["farm"] and finding["template"] == template.pk


def test_multi_account_lets_a_family_on_one_device_through(make_member, make_template, claim):
    # default: 3 other accounts on one device in 24 h block; two people sharing a
    # tablet, each claiming once, and the same people claiming another coupon pass
    first, second = make_member(), make_member()
    for template in (make_template(), make_template()):
        assert claim(first, template, ip="10.6.1.1", device="tablet").status_code == 201
        assert claim(second, template, ip="10.6.1.1", device="tablet").status_code == 201
    assert not RiskEvent.objects.exists()


def test_multi_account_reviews_many_accounts_of_one_phone_block(make_member, make_template, claim):
    set_param("risk.coupon_accounts_per_prefix", 2)
    template = make_template()
    members = [make_member(f"1391234000{i}") for i in range(3)]
    answers = [
        claim(member, template, ip=f"10.6.2.{i}", device=f"dev-{i}")
        for i, member in enumerate(members)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]  # a review lets it through
    assert Coupon.objects.filter(member=members[-1]).exists()
    event = RiskEvent.objects.get(rule="coupon_multi_account")
    finding = event.evidence["findings"][0]
    assert event.decision == "review" and finding["over"] == ["prefix"]
    assert finding["phone_prefix"] == "1391234" and finding["other_accounts"]["prefix"] == 2
    assert "13912340002" not in str(event.evidence)


def test_multi_account_review_opens_a_case_after_commit(make_member, make_template, claim):
    set_param("risk.coupon_accounts_per_prefix", 1)
    template = make_template()
    members = [make_member(f"1391235000{i}") for i in range(2)]
    for i, member in enumerate(members):
        assert claim(member, template, ip=f"10.6.3.{i}", device=f"dev-{i}").status_code == 201
    case = RiskCase.objects.get(rule="coupon_multi_account")
    assert case.member == members[-1] and case.kind == RiskCase.Kind.COUPON_FARMING


def test_multi_account_counts_the_same_template_only(make_member, make_template, claim):
    set_param("risk.coupon_accounts_per_device", 1)
    first, second = make_member(), make_member()
    assert claim(first, make_template(), ip="10.6.4.1", device="shared").status_code == 201
    # another coupon on the same device: not farming the first one
    assert claim(second, make_template(), ip="10.6.4.2", device="shared").status_code == 201


def test_claims_without_a_device_header_still_count_by_account_and_ip(
    make_member, make_template, django_capture_on_commit_callbacks
):
    set_param("risk.coupon_per_member_hour", 1)
    member = make_member()
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {member_token_issue(actor=member, member=member)}"
    )
    statuses = []
    for template in (make_template(), make_template()):
        with django_capture_on_commit_callbacks(execute=True):
            url = reverse("store-coupon-claim", args=[template.pk])
            statuses.append(client.post(url, REMOTE_ADDR="10.6.5.1").status_code)
    assert statuses == [201, 429]
