"""Members and addresses in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

A member's (and an address's) sales region is the region of the province of the
(default) address, so each matrix row is a member with one address in a province of
the row's region.
"""

from __future__ import annotations

import itertools

from tests.rbac.matrix_cases import ScopeCase

_phones = itertools.count(13700000000)


def _member_in(region):
    from members.services import address_create, member_register
    from rbac.models import Province

    member = member_register(actor=None, phone=str(next(_phones)), password="mall-demo-2026")
    province = Province.objects.filter(region=region).order_by("code").first()
    address_create(
        actor=member,
        member=member,
        name="张三",
        phone=member.phone,
        province=province,
        city="市区",
        detail="人民路 1 号",
    )
    member.refresh_from_db()
    return member


def _make_member(*, region, department, owner, grant_target):
    return _member_in(region)


def _make_address(*, region, department, owner, grant_target):
    return _member_in(region).addresses.get()


def _frozen(row) -> bool:
    row.refresh_from_db()
    return row.status == "frozen"


CASES = [
    ScopeCase(
        id="members.member",
        model="members.Member",
        make_row=_make_member,
        permissions=(
            "members.view_member",
            "members.manage_member_status",
            "members.view_address",
        ),
        admin_changelist="admin:members_member_changelist",
        admin_change="admin:members_member_change",
        admin_action="freeze_selected",
        was_touched=_frozen,
        api_list="member-list",
        api_detail="member-detail",
        api_action="member-set-status",
        api_action_body={"status": "frozen", "reason": "scope matrix"},
        export="member-export",
    ),
    ScopeCase(
        id="members.address",
        model="members.Address",
        make_row=_make_address,
        permissions=("members.view_address",),
        admin_changelist="admin:members_address_changelist",
        admin_change="admin:members_address_change",
        api_list="member-address-list",
        api_detail="member-address-detail",
        export="member-address-export",
    ),
]


def _make_points_entry(*, region, department, owner, grant_target):
    from members.services import points_earn

    member = _member_in(region)
    return points_earn(
        actor=member, member=member, reason="share", reference=f"m{member.pk}", points=5
    )


def _make_coupon(*, region, department, owner, grant_target):
    from mall.core.actors import system_actor
    from members.models import CouponTemplate
    from members.services import coupon_issue, coupon_template_create

    template = CouponTemplate.objects.filter(name="matrix").first() or coupon_template_create(
        actor=system_actor(),
        name="matrix",
        kind="free_shipping",
        validity="days",
        valid_days=5,
        total_stock=100,
    )
    return coupon_issue(
        actor=system_actor(), member=_member_in(region), template=template, source="grant"
    )


CASES += [
    ScopeCase(
        id="members.points_entry",
        model="members.PointsEntry",
        make_row=_make_points_entry,
        permissions=("members.view_pointsentry",),
        admin_changelist="admin:members_pointsentry_changelist",
        admin_change="admin:members_pointsentry_change",
    ),
    ScopeCase(
        id="members.coupon",
        model="members.Coupon",
        make_row=_make_coupon,
        permissions=("members.view_coupon",),
        admin_changelist="admin:members_coupon_changelist",
        admin_change="admin:members_coupon_change",
    ),
]
