"""Coupons: templates, claims within stock and per-member limit (also under concurrency),
lock/use/release on orders, expiry, discount arithmetic."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from mall.core.actors import system_actor
from members.exceptions import (
    CouponLimitReached,
    CouponNotClaimable,
    CouponNotUsable,
    CouponSoldOut,
    InvalidCouponTemplate,
)
from members.models import Coupon, CouponTemplate, Member
from members.pricing import coupon_discount
from members.services import (
    coupon_claim,
    coupon_issue,
    coupon_lock,
    coupon_release,
    coupon_template_create,
    coupon_template_update,
    coupon_use,
    coupons_expire_due,
)
from tests.conftest import requires_postgres


@pytest.fixture
def template(superuser):
    def make(**overrides):
        values = {
            "name": "满100减20",
            "kind": CouponTemplate.Kind.AMOUNT_OFF,
            "discount_amount": Decimal("20.00"),
            "threshold_amount": Decimal("100.00"),
            "validity": CouponTemplate.Validity.DAYS,
            "valid_days": 7,
            "total_stock": 10,
            "per_member_limit": 1,
        }
        values.update(overrides)
        return coupon_template_create(actor=superuser, **values)

    return make


def test_template_rules_are_checked(superuser):
    with pytest.raises(InvalidCouponTemplate) as error:
        coupon_template_create(
            actor=superuser,
            name="x",
            kind="percent_off",
            discount_rate=Decimal("1.5"),
            validity="window",
            total_stock=0,
        )
    assert {"discount_rate", "valid_until", "total_stock"} <= set(error.value.fields)


def test_claim_takes_stock_and_respects_the_per_member_limit(template, member):
    coupon_template = template(per_member_limit=2)
    first = coupon_claim(actor=member, member=member, template=coupon_template)
    coupon_claim(actor=member, member=member, template=coupon_template)
    with pytest.raises(CouponLimitReached):
        coupon_claim(actor=member, member=member, template=coupon_template)
    coupon_template.refresh_from_db()
    assert coupon_template.issued_count == 2
    assert first.valid_until - first.valid_from == timedelta(days=7)


def test_claims_stop_at_the_total_stock(template, make_member):
    coupon_template = template(total_stock=2)
    coupon_claim(actor=None, member=make_member(), template=coupon_template)
    coupon_claim(actor=None, member=make_member(), template=coupon_template)
    with pytest.raises(CouponSoldOut):
        coupon_claim(actor=None, member=make_member(), template=coupon_template)


def test_stock_cannot_be_lowered_below_what_was_issued(template, member, superuser):
    coupon_template = template(total_stock=5)
    coupon_claim(actor=member, member=member, template=coupon_template)
    with pytest.raises(InvalidCouponTemplate):
        coupon_template_update(actor=superuser, template=coupon_template, total_stock=0)
    coupon_template_update(actor=superuser, template=coupon_template, total_stock=1)


def test_grant_only_templates_cannot_be_claimed_but_can_be_granted(template, member):
    coupon_template = template(is_claimable=False, per_member_limit=1)
    with pytest.raises(CouponNotClaimable):
        coupon_claim(actor=member, member=member, template=coupon_template)
    coupon_issue(member=member, template=coupon_template, source="birthday", actor=system_actor())
    coupon_issue(member=member, template=coupon_template, source="birthday", actor=system_actor())
    assert Coupon.objects.filter(member=member).count() == 2


def test_lock_use_and_release_follow_the_order(template, member, make_member):
    coupon = coupon_claim(actor=member, member=member, template=template())
    coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD1")
    coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD1")  # idempotent
    with pytest.raises(CouponNotUsable):
        coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD2")
    with pytest.raises(CouponNotUsable):
        coupon_lock(actor=None, member=make_member(), coupon=coupon, order_no="DD3")
    released = coupon_release(actor=member, member=member, coupon=coupon, order_no="DD1")
    assert (released.status, released.order_no) == ("available", "")
    coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD2")
    used = coupon_use(actor=member, member=member, coupon=coupon, order_no="DD2")
    assert used.status == "used"
    assert coupon_use(actor=member, member=member, coupon=coupon, order_no="DD2").status == "used"
    # Releasing a used coupon changes nothing.
    assert (
        coupon_release(actor=member, member=member, coupon=coupon, order_no="DD2").status == "used"
    )


def test_expired_coupons_cannot_be_locked_and_the_job_marks_them(template, member):
    coupon = coupon_claim(actor=member, member=member, template=template())
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CouponNotUsable):
        coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD1")
    assert coupons_expire_due(actor=system_actor()) == 1
    assert coupons_expire_due(actor=system_actor()) == 0
    coupon.refresh_from_db()
    assert coupon.status == "expired"


def test_release_after_the_validity_ended_expires_the_coupon(template, member):
    coupon = coupon_claim(actor=member, member=member, template=template())
    coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD1")
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    assert (
        coupon_release(actor=member, member=member, coupon=coupon, order_no="DD1").status
        == "expired"
    )


def test_discounts_by_kind(template, member):
    amount_off = coupon_claim(actor=member, member=member, template=template())
    assert coupon_discount(
        coupon=amount_off, goods_amount="120.00"
    ).goods_discount_amount == Decimal("20.00")
    with pytest.raises(CouponNotUsable):
        coupon_discount(coupon=amount_off, goods_amount="99.99")
    percent = coupon_claim(
        actor=member,
        member=member,
        template=template(
            kind="percent_off",
            discount_amount=None,
            discount_rate=Decimal("0.85"),
            threshold_amount=0,
            max_discount_amount=Decimal("30.00"),
        ),
    )
    assert coupon_discount(coupon=percent, goods_amount="99.99").goods_discount_amount == Decimal(
        "15.00"
    )
    assert coupon_discount(coupon=percent, goods_amount="1000").goods_discount_amount == Decimal(
        "30.00"
    )
    shipping = coupon_claim(
        actor=member,
        member=member,
        template=template(kind="free_shipping", discount_amount=None, threshold_amount=0),
    )
    result = coupon_discount(coupon=shipping, goods_amount="10", shipping_amount="8.00")
    assert (result.goods_discount_amount, result.shipping_discount_amount) == (
        Decimal("0.00"),
        Decimal("8.00"),
    )


def _claim_in_threads(template_id: int, member_ids: list[int]) -> list[str]:
    outcomes: list[str] = []
    barrier = threading.Barrier(len(member_ids))
    lock = threading.Lock()

    def claim(member_id: int) -> None:

        try:
            member = Member.objects.get(pk=member_id)
            template = CouponTemplate.objects.get(pk=template_id)
            barrier.wait()
            coupon_claim(actor=member, member=member, template=template)
            result = "ok"
        except (CouponSoldOut, CouponLimitReached) as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(mid,)) for mid in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_over_issue(template, make_member):
    coupon_template = template(total_stock=5, per_member_limit=1)
    members = [make_member() for _ in range(12)]
    outcomes = _claim_in_threads(coupon_template.pk, [m.pk for m in members])
    assert outcomes.count("ok") == 5
    assert outcomes.count("coupon_sold_out") == 7
    coupon_template.refresh_from_db()
    assert coupon_template.issued_count == 5
    assert Coupon.objects.filter(template=coupon_template).count() == 5


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_member_claiming_in_parallel_gets_only_the_limit(template, make_member):
    coupon_template = template(total_stock=100, per_member_limit=2)
    member = make_member()
    outcomes = _claim_in_threads(coupon_template.pk, [member.pk] * 8)
    assert outcomes.count("ok") == 2
    assert outcomes.count("coupon_limit_reached") == 6
    assert Coupon.objects.filter(member=member).count() == 2


def test_category_coupons_apply_only_to_lines_of_their_category_tree(template, member, superuser):
    from catalog.models import Category

    food = Category.objects.create(code="food", name="食品", level=1)
    snacks = Category.objects.create(code="snacks", name="零食", level=2, parent=food)
    nuts = Category.objects.create(code="nuts", name="坚果", level=3, parent=snacks)
    phones = Category.objects.create(code="phones", name="手机", level=1)
    coupon_template = template()
    coupon_template_update(actor=superuser, template=coupon_template, categories=[food])
    coupon = coupon_claim(actor=member, member=member, template=coupon_template)
    from members.pricing import coupon_applicable_amount

    lines = [(nuts.pk, Decimal("60.00")), (phones.pk, Decimal("999.00")), (snacks.pk, "40.5")]
    assert coupon_applicable_amount(coupon=coupon, lines=lines) == Decimal("100.50")
    coupon_template_update(actor=superuser, template=coupon_template, categories=[])
    assert coupon_applicable_amount(coupon=coupon, lines=lines) == Decimal("1099.50")


@pytest.mark.django_db(transaction=True)
def test_claims_and_registrations_signal_risk_after_commit(template, make_member):
    from members.signals import coupon_claimed, member_registered

    seen = []

    def receiver(sender, **kwargs):
        seen.append(sorted(kwargs))

    member_registered.connect(receiver)
    coupon_claimed.connect(receiver)
    try:
        member = make_member()
        coupon_claim(actor=member, member=member, template=template())
    finally:
        member_registered.disconnect(receiver)
        coupon_claimed.disconnect(receiver)
    assert seen == [
        ["client_ip", "device_id", "member", "signal"],
        ["client_ip", "coupon", "device_id", "member", "signal"],
    ]


def test_coupon_validity_days_beyond_ten_years_are_refused_by_the_service(superuser, member):
    from members.exceptions import InvalidCouponTemplate
    from members.services import coupon_template_create

    with pytest.raises(InvalidCouponTemplate) as raised:
        coupon_template_create(
            actor=superuser,
            name="永久包邮",
            kind="free_shipping",
            validity="days",
            valid_days=1_000_000,
            total_stock=5,
        )
    assert "valid_days" in raised.value.fields
    assert not CouponTemplate.objects.exists()


def test_coupon_moves_follow_the_table_and_release_is_audited_once(template, member):
    from mall.core.transitions import state_machine
    from ops.models import AuditEntry

    table = state_machine(Coupon)
    assert table.allows("available", "locked") and not table.allows("used", "available")
    coupon = coupon_claim(actor=member, member=member, template=template())
    coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD1")
    coupon_release(actor=member, member=member, coupon=coupon, order_no="DD1")
    release = AuditEntry.objects.get(action="coupon.release")
    assert (release.before["status"], release.after["status"]) == ("locked", "available")
    assert release.data["order_no"] == "DD1"
    coupon_lock(actor=member, member=member, coupon=coupon, order_no="DD2")
    coupon_use(actor=member, member=member, coupon=coupon, order_no="DD2")
    # A used coupon is final: neither the expiry job nor a lock moves it.
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now())
    assert coupons_expire_due(actor=None) == 0
    assert Coupon.objects.get(pk=coupon.pk).status == "used"
