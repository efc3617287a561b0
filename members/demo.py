"""Demo data of the members app (DESIGN.md §7), written through the services.

Members ``13900000000`` … ``13900000099`` (password ``mall-demo-2026``) spread over
the sales regions (a default address in a different province each) and over the
levels VIP1–VIP7 (purchase growth), with points (sign-in, purchases, one spend) and
coupons. Idempotent: existing members, growth and points references are left alone.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from mall.core.actors import system_actor
from rbac.models import Province

from . import permissions as perms
from .exceptions import CouponLimitReached, CouponSoldOut
from .levels import level_thresholds, levels_ensure
from .models import Coupon, CouponTemplate, GrowthReason, Level, Member, PointsReason
from .rfm import EXPORT_RFM, VIEW_RFM, VIEW_RFM_RUN
from .selectors import member_get_by_phone
from .services import (
    address_create,
    coupon_claim,
    coupon_template_create,
    growth_record,
    level_rule_update,
    member_register,
    points_earn,
    points_spend,
)

DEMO_PASSWORD = "mall-demo-2026"  # noqa: S105 - the documented demo password
MEMBER_COUNT = 100
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "长江路", "黄河路"]

VIEW_PERMISSIONS = [
    perms.VIEW_MEMBER,
    perms.VIEW_ADDRESS,
    perms.VIEW_POINTS,
    perms.VIEW_GROWTH,
    perms.VIEW_COUPON,
    perms.VIEW_COUPON_TEMPLATE,
    perms.VIEW_LEVEL,
    "members.view_levelchange",
    "members.view_pointslot",
    "members.view_notification",
]
# Least privilege: customer service and the regional order ops see members masked;
# only the ops lead (who answers for member operations) sees personal data and
# changes coupons, levels, points and account status.
ROLE_PERMISSIONS = {
    "customer_service": VIEW_PERMISSIONS,
    "order_ops_east": [perms.VIEW_MEMBER, perms.VIEW_ADDRESS],
    "order_ops_north": [perms.VIEW_MEMBER, perms.VIEW_ADDRESS],
    "ops_lead": [
        *VIEW_PERMISSIONS,
        perms.VIEW_MEMBER_PII,
        perms.MANAGE_MEMBER_STATUS,
        perms.ADJUST_MEMBER_POINTS,
        perms.ADJUST_MEMBER_GROWTH,
        perms.ADD_COUPON_TEMPLATE,
        perms.CHANGE_COUPON_TEMPLATE,
        perms.CHANGE_LEVEL,
    ],
}

# RFM (issue 17): marketing reads the segments and exports them (phones masked, no PII
# permission); the ops lead too, and sees the nightly runs.
ROLE_PERMISSIONS["marketing"] = [perms.VIEW_MEMBER, perms.VIEW_LEVEL, VIEW_RFM, EXPORT_RFM]
ROLE_PERMISSIONS["ops_lead"] += [VIEW_RFM, EXPORT_RFM, VIEW_RFM_RUN]


def _grant_roles(stdout) -> None:
    try:
        from rbac.demo import grant_role_permissions
    except ImportError:  # pragma: no cover - rbac demo not there
        stdout.write("  members: rbac.demo.grant_role_permissions missing; role grants skipped")
        return
    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def _templates(actor) -> dict[str, CouponTemplate]:
    now = timezone.now()
    specs = {
        "新人满100减20": {
            "kind": CouponTemplate.Kind.AMOUNT_OFF,
            "discount_amount": Decimal("20.00"),
            "threshold_amount": Decimal("100.00"),
            "validity": CouponTemplate.Validity.WINDOW,
            "valid_from": now - timedelta(days=1),
            "valid_until": now + timedelta(days=365),
            "total_stock": 1000,
            "per_member_limit": 1,
        },
        "全场九五折": {
            "kind": CouponTemplate.Kind.PERCENT_OFF,
            "discount_rate": Decimal("0.950"),
            "max_discount_amount": Decimal("50.00"),
            "validity": CouponTemplate.Validity.DAYS,
            "valid_days": 30,
            "total_stock": 500,
            "per_member_limit": 2,
        },
        "包邮券": {
            "kind": CouponTemplate.Kind.FREE_SHIPPING,
            "validity": CouponTemplate.Validity.DAYS,
            "valid_days": 15,
            "total_stock": 2000,
            "per_member_limit": 3,
        },
        "生日礼券 满200减50": {
            "kind": CouponTemplate.Kind.AMOUNT_OFF,
            "discount_amount": Decimal("50.00"),
            "threshold_amount": Decimal("200.00"),
            "validity": CouponTemplate.Validity.DAYS,
            "valid_days": 30,
            "total_stock": 10000,
            "per_member_limit": 100,
            "is_claimable": False,
        },
    }
    templates = {}
    for name, values in specs.items():
        templates[name] = CouponTemplate.objects.filter(name=name).first() or (
            coupon_template_create(actor=actor, name=name, **values)
        )
    return templates


def _birthday_coupons(actor, template: CouponTemplate) -> None:
    for level in Level.objects.filter(rank__gte=3, birthday_coupon__isnull=True):
        level_rule_update(actor=actor, level=level, birthday_coupon=template)


def _member(index: int, provinces: list[Province], password_hash: str, actor) -> Member:
    phone = f"139{index:08d}"
    member = member_get_by_phone(actor=actor, phone=phone)
    if member is None:
        today = timezone.localdate()
        # A few members have their birthday today, so the birthday job has work.
        birthday = (
            today.replace(year=1990)
            if index % 25 == 0 and (today.month, today.day) != (2, 29)
            else date(1970 + index % 35, 1 + index % 12, 1 + index % 28)
        )
        member = member_register(
            phone=phone,
            password_hash=password_hash,
            name=SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)],
            gender=Member.Gender.FEMALE if index % 2 else Member.Gender.MALE,
            birthday=birthday,
            actor=actor,
        )
        province = provinces[index % len(provinces)]
        address_create(
            actor=actor,
            member=member,
            name=member.name,
            phone=phone,
            province=province,
            city=f"{province.name}市",
            district="中心区",
            detail=f"{STREETS[index % len(STREETS)]} {index + 1} 号",
        )
    return member


def seed(*, stdout) -> None:
    actor = system_actor()
    levels_ensure()
    _grant_roles(stdout)
    templates = _templates(actor)
    _birthday_coupons(actor, templates["生日礼券 满200减50"])
    provinces = list(Province.objects.select_related("region").order_by("code"))
    if not provinces:
        stdout.write("  members: no provinces (rbac seed missing?); skipped")
        return
    thresholds = level_thresholds()
    password_hash = make_password(DEMO_PASSWORD)
    for index in range(MEMBER_COUNT):
        member = _member(index, provinces, password_hash, actor)
        rank = 1 + index % 7
        growth_record(
            member=member,
            reason=GrowthReason.PURCHASE,
            reference=f"DEMO-G-{index:03d}",
            amount=thresholds[rank] + 10 * index,
            basis_amount=Decimal(thresholds[rank] + 10 * index),
            actor=actor,
        )
        points_earn(
            member=member,
            reason=PointsReason.PURCHASE,
            reference=f"DEMO-P-{index:03d}",
            points=200 + 37 * index,
            actor=actor,
        )
        points_earn(
            member=member,
            reason=PointsReason.SIGN_IN,
            reference=f"{member.pk}:demo",
            points=10,
            actor=actor,
        )
        if index % 4 == 0:
            points_spend(
                member=member,
                reason=PointsReason.POINTS_MALL,
                reference=f"DEMO-S-{index:03d}",
                points=100,
                actor=actor,
            )
        for position, name in enumerate(("新人满100减20", "全场九五折", "包邮券")):
            if (index + position) % 3 == 0 and not Coupon.objects.filter(
                member=member, template=templates[name]
            ).exists():
                with contextlib.suppress(CouponLimitReached, CouponSoldOut):
                    coupon_claim(actor=member, member=member, template=templates[name])
    stdout.write(f"  members: {MEMBER_COUNT} demo members (13900000000 … 13900000099)")


def seed_rfm(*, stdout) -> None:
    """Run the nightly RFM once on the demo orders (after the orders demo; idempotent:
    one run per date, a second call the same day changes nothing)."""
    from .services.rfm import rfm_run

    run = rfm_run(actor=system_actor())
    stdout.write(
        f"  members: RFM {run.run_date.isoformat()}: {run.members_scored} members scored, "
        f"{run.members_win_back} flagged for win-back"
    )


# Called by seed_demo after every app's seed: RFM needs the orders demo's orders.
seed_last = seed_rfm
