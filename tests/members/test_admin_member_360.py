"""Admin: the member 360° page, adjustments as buttons, ledgers found by phone.

Customer service opens a member and reads profile (masked), level and growth, points,
coupons, addresses and notices on one page; apps above members add sections through
the hook ``members.member_360_sections``; ops adjust points and growth with a button
(amount and reason, the same services as the API, audited); ledgers are searched by
the member's full phone through the lookup hash and name the member masked.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from members import services
from members.models import CouponTemplate, GrowthEntry, PointsEntry, PointsReason
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db

PHONE = "13912340001"


@pytest.fixture
def staff_with(db):
    """A staff user holding a role with ``perms`` over every region (or ``regions``)."""
    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion

    def make(username: str, perms: list[str], regions: list[str] | None = None):
        role = rbac_services.role_create(
            actor=system_actor(),
            code=f"role-{username}",
            name=username,
            scope_kind="regions" if regions else "all",
            regions=[SalesRegion.objects.get(code=code) for code in regions or []],
            permissions=perms,
        )
        user = get_user_model().objects.create_user(username, password="x-pass-123", is_staff=True)
        rbac_services.role_assign(actor=system_actor(), user=user, role=role)
        return get_user_model().objects.get(pk=user.pk)

    return make


VIEW = [
    "members.view_member",
    "members.view_address",
    "members.view_pointsentry",
    "members.view_growthentry",
    "members.view_levelchange",
    "members.view_coupon",
    "members.view_notification",
]


@pytest.fixture
def cs_agent(staff_with):
    return staff_with("cs", VIEW)


@pytest.fixture
def ops_lead(staff_with):
    return staff_with(
        "lead",
        [
            *VIEW,
            "members.view_member_pii",
            "members.adjust_member_points",
            "members.adjust_member_growth",
        ],
    )


@pytest.fixture
def customer(make_member):
    from mall.core.actors import system_actor

    member = make_member(PHONE, name="王大锤", province="上海")
    services.points_earn(
        actor=system_actor(),
        member=member,
        reason=PointsReason.PURCHASE,
        reference="SO-20261128-1",
        points=300,
    )
    template = services.coupon_template_create(
        actor=system_actor(),
        name="满100减20",
        kind=CouponTemplate.Kind.AMOUNT_OFF,
        discount_amount=Decimal("20.00"),
        threshold_amount=Decimal("100.00"),
        validity=CouponTemplate.Validity.DAYS,
        valid_days=30,
        total_stock=100,
        per_member_limit=1,
    )
    services.coupon_issue(actor=system_actor(), member=member, template=template)
    services.growth_record_purchase(
        actor=system_actor(), member=member, order_no="SO-20261128-1", paid_amount=Decimal("800")
    )
    member.refresh_from_db()
    return member


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change(member) -> str:
    return reverse("admin:members_member_change", args=[member.pk])


def test_customer_service_sees_the_360_page_masked_with_every_section(cs_agent, customer):
    response = _client(cs_agent).get(_change(customer))

    assert response.status_code == 200
    html = response.content.decode()
    assert "139****0001" in html and "王**" in html
    assert PHONE not in html and "王大锤" not in html
    assert f"member:{customer.pk}" not in html.lower()  # never the internal label
    titles = [section["title"] for section in response.context["member_360_sections"]]
    assert titles == [
        "等级变动",
        "成长值明细（当前 800）",
        "积分明细（余额 300）",
        "优惠券",
        "已发送的消息",
    ]
    assert "满100减20" in html and "可使用" in html  # the coupon and its status in Chinese
    assert "SO-20261128-1" in html and "购物" in html  # the points entry, kind translated
    assert f"/admin/members/pointsentry/?member={customer.pk}" in html
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_a_reader_with_the_pii_permission_sees_plaintext_and_the_reveal_is_audited(
    ops_lead, customer
):
    html = _client(ops_lead).get(_change(customer)).content.decode()

    assert PHONE in html and "王大锤" in html
    entries = AuditEntry.objects.filter(action="pii.reveal", object_type="members.member")
    assert entries and all(e.data["records"] == [str(customer.pk)] for e in entries)
    assert all(e.actor_id == ops_lead.pk for e in entries)


def test_sections_show_only_with_their_view_permission(staff_with, customer):
    reader = staff_with("narrow", ["members.view_member", "members.view_pointsentry"])

    response = _client(reader).get(_change(customer))

    titles = [section["title"] for section in response.context["member_360_sections"]]
    assert titles == ["积分明细（余额 300）"]


def test_apps_above_add_sections_through_the_hook_and_a_failing_one_is_left_out(
    cs_agent, customer, monkeypatch
):
    from mall.core import hooks
    from members.member_360 import MEMBER_360_HOOK

    seen = {}

    def orders(*, member, actor):
        seen["args"] = (member.pk, actor.pk)
        return [
            {
                "title": "最近订单",
                "columns": ["订单号", "状态"],
                "rows": [[{"text": "SO-9", "link": "/admin/orders/order/9/change/"}, "已付款"]],
                "link": "/admin/orders/order/?member=1",
            }
        ]

    def broken(*, member, actor):
        raise RuntimeError("after-sales is down")

    monkeypatch.setattr(hooks, "_providers", {MEMBER_360_HOOK: {"orders": orders, "x": broken}})

    response = _client(cs_agent).get(_change(customer))

    assert response.status_code == 200
    assert seen["args"] == (customer.pk, cs_agent.pk)
    html = response.content.decode()
    assert "最近订单" in html and 'href="/admin/orders/order/9/change/"' in html
    assert "已付款" in html


def test_a_member_outside_the_readers_scope_is_not_found(staff_with, customer):
    north = staff_with("north", VIEW, regions=["north"])  # the customer lives in 上海 (east)

    assert _client(north).get(_change(customer)).status_code in (302, 404)


# --- adjustments ----------------------------------------------------------------------


def _button(member, name: str) -> str:
    return _change(member).removesuffix("change/") + f"{name}/"


def test_adjusting_points_calls_the_service_with_the_reason_and_is_audited(ops_lead, customer):
    client = _client(ops_lead)
    page = client.get(_change(customer)).content.decode()
    assert "adjust-points/" in page and "adjust-growth/" in page
    dialog = client.get(_button(customer, "adjust-points"))
    assert dialog.status_code == 200 and "正数为增加" in dialog.content.decode()

    response = client.post(
        _button(customer, "adjust-points"),
        {"_form_submitted": "on", "amount": "-50", "note": "客诉补偿撤回", "reference": "r1"},
    )

    assert response.status_code == 302
    entry = PointsEntry.objects.get(member=customer, reason=PointsReason.ADJUSTMENT)
    assert (entry.points, entry.note) == (-50, "客诉补偿撤回")
    customer.refresh_from_db()
    assert customer.points_balance == 250
    assert AuditEntry.objects.filter(actor=ops_lead, action__startswith="member.points").exists()
    # The same dialog posted twice (a double click) records one adjustment.
    client.post(
        _button(customer, "adjust-points"),
        {"_form_submitted": "on", "amount": "-50", "note": "客诉补偿撤回", "reference": "r1"},
    )
    assert PointsEntry.objects.filter(reason=PointsReason.ADJUSTMENT).count() == 1


def test_a_refused_adjustment_is_shown_in_the_dialog_and_writes_nothing(ops_lead, customer):
    client = _client(ops_lead)

    response = client.post(
        _button(customer, "adjust-points"),
        {"_form_submitted": "on", "amount": "-5000", "note": "扣多了", "reference": "r2"},
    )

    assert response.status_code == 200  # the dialog again, with the service's refusal
    assert response.context["form"].errors
    assert not PointsEntry.objects.filter(reason=PointsReason.ADJUSTMENT).exists()
    customer.refresh_from_db()
    assert customer.points_balance == 300
    empty = client.post(
        _button(customer, "adjust-points"),
        {"_form_submitted": "on", "amount": "0", "note": " ", "reference": "r3"},
    )
    assert empty.status_code == 200
    assert set(empty.context["form"].errors) == {"amount", "note"}
    assert not PointsEntry.objects.filter(reason=PointsReason.ADJUSTMENT).exists()


def test_adjusting_growth_moves_the_level_through_the_service(ops_lead, customer):
    level_before = customer.level_id

    response = _client(ops_lead).post(
        _button(customer, "adjust-growth"),
        {"_form_submitted": "on", "amount": "20000", "note": "大客户补录", "reference": "g1"},
    )

    assert response.status_code == 302
    entry = GrowthEntry.objects.get(member=customer, reason="adjustment")
    assert (entry.amount, entry.note) == (20000, "大客户补录")
    customer.refresh_from_db()
    assert customer.growth == 20800 and customer.level_id != level_before


def test_customer_service_has_no_adjust_buttons_and_cannot_post_them(cs_agent, customer):
    client = _client(cs_agent)

    assert "adjust-points/" not in client.get(_change(customer)).content.decode()
    response = client.post(
        _button(customer, "adjust-points"),
        {"_form_submitted": "on", "amount": "100", "note": "想送点", "reference": "r4"},
    )

    assert response.status_code == 403
    assert not PointsEntry.objects.filter(reason=PointsReason.ADJUSTMENT).exists()


# --- ledgers --------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["pointsentry", "growthentry", "coupon", "address"])
def test_ledgers_find_a_members_rows_by_full_phone_through_the_audited_search(
    cs_agent, customer, make_member, model
):
    from mall.core.actors import system_actor

    other = make_member("13912349999", province="上海")
    services.points_earn(
        actor=system_actor(), member=other, reason=PointsReason.SHARE, reference="x", points=5
    )
    services.growth_record_purchase(
        actor=system_actor(), member=other, order_no="SO-OTHER", paid_amount=Decimal("10")
    )
    template = CouponTemplate.objects.get()
    services.coupon_issue(actor=system_actor(), member=other, template=template)
    url = reverse(f"admin:members_{model}_changelist")
    client = _client(cs_agent)

    rows = client.get(url, {"q": PHONE}).context["cl"].result_list
    assert rows and {row.member_id for row in rows} == {customer.pk}
    assert AuditEntry.objects.filter(action="member.phone_search", actor=cs_agent).count() == 1
    assert list(client.get(url, {"q": PHONE[:7]}).context["cl"].result_list) == []

    html = client.get(url).content.decode()
    assert "139****0001" in html and "139****9999" in html  # members named masked
    assert f"member:{customer.pk}" not in html.lower()


def test_ledger_phone_search_keeps_the_hourly_limit(cs_agent, customer):
    from ops.models import SystemParameter

    SystemParameter.objects.create(key="members.phone_search_per_hour", value=1)
    client = _client(cs_agent)
    url = reverse("admin:members_pointsentry_changelist")

    assert list(client.get(url, {"q": PHONE}).context["cl"].result_list)
    limited = client.get(url, {"q": PHONE})

    assert list(limited.context["cl"].result_list) == []
    assert [str(m) for m in limited.context["messages"]] == [
        "按手机号查询次数过多，请一小时后再试。"
    ]


def test_the_member_filter_lists_one_members_rows_and_names_them_masked(
    cs_agent, staff_with, customer, make_member
):
    from mall.core.actors import system_actor

    other = make_member("13912349999", province="上海")
    services.points_earn(
        actor=system_actor(), member=other, reason=PointsReason.SHARE, reference="x", points=5
    )
    url = reverse("admin:members_pointsentry_changelist")

    response = _client(cs_agent).get(url, {"member": customer.pk})
    assert {row.member_id for row in response.context["cl"].result_list} == {customer.pk}
    assert "王** 139****0001" in response.content.decode()

    north = staff_with("north", VIEW, regions=["north"])
    assert list(_client(north).get(url, {"member": customer.pk}).context["cl"].result_list) == []


def test_coupons_and_templates_sit_in_marketing_and_ledgers_in_members():
    from django.contrib import admin

    from members.models import Coupon, Level, Member, PointsEntry

    registry = admin.site._registry
    assert registry[Coupon].nav_group == "marketing"
    assert registry[CouponTemplate].nav_group == "marketing"
    for model in (Member, PointsEntry, GrowthEntry, Level):
        assert registry[model].nav_group == "members"


def test_a_members_pages_are_headed_by_the_masked_member_never_the_internal_label(
    cs_agent, customer
):
    client = _client(cs_agent)
    entry = PointsEntry.objects.get(member=customer)
    urls = [
        reverse("admin:members_member_history", args=[customer.pk]),
        reverse("admin:members_pointsentry_change", args=[entry.pk]),
        reverse("admin:members_pointsentry_history", args=[entry.pk]),
    ]
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "王** 139****0001" in html, url
        assert f"member:{customer.pk}" not in html.lower(), url
