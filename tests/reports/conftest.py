"""Fixtures of the reports tests: readers of every scope and a trade with known figures.

``trade`` builds orders with known amounts across two regions (east, north) and two
channels (own store "A", Tmall "B") in a closed 7-day window that is a Monday-to-Sunday
week (so the weekly report covers exactly it) and in the 7 days before it, with brushed,
unpaid and refunded orders. The hand-computed figures are in the tests.
"""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ops.reports import permissions as perms

_phones = itertools.count(13855500000)
_codes = itertools.count(1)


def _role_user(make_staff, username: str, *, scope_kind: str, regions=(), permissions=()):
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion

    user = make_staff(username)
    role = rbac_services.role_create(
        actor=system_actor(),
        code=f"rep_{username}_{next(_codes)}",
        name=f"报表测试 {username}",
        scope_kind=scope_kind,
        permissions=list(permissions),
        regions=list(SalesRegion.objects.filter(code__in=regions)),
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def all_reader(make_staff):
    """Scope "all", the dashboard and the reports."""
    return _role_user(
        make_staff,
        "rep_all",
        scope_kind="all",
        permissions=[perms.VIEW_DASHBOARD, perms.VIEW_REPORT],
    )


@pytest.fixture
def east_reader(make_staff):
    """Scope region east, the dashboard — and the report permission, which scope forbids."""
    return _role_user(
        make_staff,
        "rep_east",
        scope_kind="regions",
        regions=["east"],
        permissions=[perms.VIEW_DASHBOARD, perms.VIEW_REPORT],
    )


@pytest.fixture
def no_perm_reader(make_staff):
    return _role_user(make_staff, "rep_none", scope_kind="all", permissions=[])


def monday_weeks_ago(weeks: int = 2):
    today = timezone.localdate()
    return today - timedelta(days=today.weekday() + 7 * weeks)


def at(day, hour: int = 12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def channels(db):
    from orders.models import SalesChannel

    own, _created = SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
    tmall, _created = SalesChannel.objects.get_or_create(
        code="rep_tmall", defaults={"name": "天猫旗舰店", "kind": SalesChannel.Kind.TMALL}
    )
    return {"A": own, "B": tmall}


@pytest.fixture
def make_trade_order(channels):
    from orders.models import Order
    from orders.numbers import new_number
    from rbac.models import Province

    def make(member, *, region: str, channel: str, day, paid=None, refunded="0.00", brushed=False):
        province = Province.objects.filter(region__code=region).order_by("code").first()
        amount = Decimal(paid) if paid is not None else Decimal("10.00")
        order = Order(
            order_no=new_number("DD"),
            member=member,
            channel=channels[channel],
            region=province.region,
            province=province,
            status="completed" if paid is not None else "cancelled",
            city="市",
            goods_amount=amount,
            total_amount=amount,
            paid_amount=amount if paid is not None else Decimal("0.00"),
            refunded_amount=Decimal(refunded),
            paid_at=at(day) if paid is not None else None,
            is_brushed=brushed,
        )
        order.recipient = "报表"
        order.phone = "13900000000"
        order.detail = "报表路 1 号"
        order.save(force_insert=True)
        Order.objects.filter(pk=order.pk).update(created_at=at(day))
        return order

    return make


@pytest.fixture
def members(db):
    from members.models import Member
    from members.services import member_register
    from rbac.models import SalesRegion

    regions = {r.code: r for r in SalesRegion.objects.filter(code__in=["east", "north"])}
    monday = monday_weeks_ago()
    made = {}
    # m1, m2 registered long ago; m3 (east) and m4 (north) during the week
    for name, region, joined in (
        ("m1", "east", monday - timedelta(days=20)),
        ("m2", "north", monday - timedelta(days=20)),
        ("m3", "east", monday + timedelta(days=1)),
        ("m4", "north", monday + timedelta(days=2)),
    ):
        member = member_register(actor=None, phone=str(next(_phones)), password="mall-demo-2026")
        Member.objects.filter(pk=member.pk).update(region=regions[region], created_at=at(joined))
        made[name] = member
    return made


@pytest.fixture
def trade(members, make_trade_order):
    """The week (Monday D … Sunday D+6) and the week before; see the module docstring."""
    d = monday_weeks_ago()
    m1, m2, m3, m4 = (members[k] for k in ("m1", "m2", "m3", "m4"))
    o = make_trade_order
    # this week
    o(m1, region="east", channel="A", day=d, paid="100.00")
    o(m1, region="east", channel="A", day=d + timedelta(days=1), paid="50.00", refunded="20.00")
    o(m2, region="east", channel="B", day=d + timedelta(days=2), paid="30.00")
    o(m3, region="east", channel="A", day=d + timedelta(days=2))  # placed, never paid
    o(m4, region="north", channel="B", day=d + timedelta(days=3), paid="200.00", refunded="200.00")
    o(m2, region="north", channel="A", day=d + timedelta(days=4), paid="80.00")
    o(m1, region="east", channel="A", day=d + timedelta(days=1), paid="999.00", brushed=True)
    o(m4, region="north", channel="B", day=d + timedelta(days=5))  # placed, never paid
    # the week before
    o(m1, region="east", channel="A", day=d - timedelta(days=3), paid="40.00")
    o(m3, region="east", channel="B", day=d - timedelta(days=2), paid="60.00")
    o(m2, region="north", channel="A", day=d - timedelta(days=5), paid="70.00")
    o(m4, region="north", channel="B", day=d - timedelta(days=4), paid="500.00", brushed=True)
    return d
