"""Defects found in review: each test failed before its fix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.models import CouponTemplate, Member, PointsEntry
from ops.models import AuditEntry


@pytest.fixture
def admin_client_for():
    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def test_one_staff_reference_on_two_members_adjusts_both_points(
    staff_client, superuser, make_member
):
    first, second = make_member(), make_member()
    client = staff_client(superuser)
    body = {"amount": 300, "reference": "ticket-7", "note": "compensation"}
    one = client.post(reverse("member-adjust-points", args=[first.pk]), body, format="json")
    two = client.post(reverse("member-adjust-points", args=[second.pk]), body, format="json")
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"]
    assert Member.objects.get(pk=second.pk).points_balance == 300
    assert PointsEntry.objects.filter(member=second).count() == 1


def test_one_staff_reference_on_two_members_adjusts_both_growth(
    staff_client, superuser, make_member
):
    first, second = make_member(), make_member()
    client = staff_client(superuser)
    body = {"amount": 40, "reference": "ticket-8", "note": "goodwill"}
    client.post(reverse("member-adjust-growth", args=[first.pk]), body, format="json")
    response = client.post(reverse("member-adjust-growth", args=[second.pk]), body, format="json")
    assert response.status_code == 201
    assert Member.objects.get(pk=second.pk).growth == 40


def test_a_ledger_reference_of_another_member_is_a_conflict_not_their_entry(make_member):
    from members.exceptions import MemberError
    from members.services import growth_record, points_earn

    first, second = make_member(), make_member()
    points_earn(member=first, reason="share", reference="share-1", points=5)
    with pytest.raises(MemberError) as raised:
        points_earn(member=second, reason="share", reference="share-1", points=5)
    assert raised.value.status_code == 409
    assert Member.objects.get(pk=second.pk).points_balance == 0
    growth_record(member=first, reason="review", reference="rv-1", amount=20)
    with pytest.raises(MemberError):
        growth_record(member=second, reason="review", reference="rv-1", amount=20)
    assert Member.objects.get(pk=second.pk).growth == 0


def _template_form(**overrides):
    data = {
        "name": "满100减20",
        "kind": "amount_off",
        "discount_amount": "20.00",
        "threshold_amount": "100.00",
        "validity": "days",
        "valid_days": "7",
        "total_stock": "10",
        "per_member_limit": "1",
        "is_claimable": "on",
        "is_active": "on",
    }
    return {**data, **overrides}


def test_coupon_template_categories_are_saved_by_the_service_and_audited(
    admin_client_for, superuser
):
    from catalog.models import Category

    category = Category.objects.create(name="数码", code="digital-rv", level=1)
    client = admin_client_for(superuser)
    response = client.post(
        reverse("admin:members_coupontemplate_add"),
        _template_form(categories=[str(category.pk)]),
    )
    assert response.status_code == 302
    template = CouponTemplate.objects.get()
    assert list(template.categories.values_list("pk", flat=True)) == [category.pk]
    entry = AuditEntry.objects.get(action="coupon_template.create")
    assert entry.data.get("categories") == [category.pk]


def test_a_refused_coupon_template_change_writes_nothing_and_says_so(
    admin_client_for, superuser, make_member
):
    from catalog.models import Category
    from members.services import coupon_claim, coupon_template_create

    category = Category.objects.create(name="家电", code="appliance-rv", level=1)
    template = coupon_template_create(
        actor=superuser,
        name="满100减20",
        kind="amount_off",
        discount_amount="20.00",
        threshold_amount="100.00",
        validity="days",
        valid_days=7,
        total_stock=10,
    )
    coupon_claim(member=make_member(), template=template)
    client = admin_client_for(superuser)
    response = client.post(
        reverse("admin:members_coupontemplate_change", args=[template.pk]),
        _template_form(kind="free_shipping", discount_amount="", categories=[str(category.pk)]),
        follow=True,
    )
    assert response.status_code == 200
    template.refresh_from_db()
    assert template.kind == "amount_off"
    assert not template.categories.exists()  # nothing saved behind the service's back
    texts = [str(m) for m in response.context["messages"]]
    assert any("kind" in text or "类型" in text for text in texts)
    assert not any("successfully" in text or "成功" in text for text in texts)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:members_growthentry_changelist",
        "admin:members_pointsentry_changelist",
        "admin:members_pointslot_changelist",
        "admin:members_coupon_changelist",
        "admin:members_levelchange_changelist",
        "admin:members_notification_changelist",
        "admin:members_member_changelist",
        "admin:members_address_changelist",
        "admin:members_coupontemplate_changelist",
        "admin:members_level_changelist",
    ],
)
def test_ledger_changelists_run_a_constant_number_of_queries(
    url_name, admin_client_for, superuser, make_member, django_assert_max_num_queries
):
    from members.services import (
        coupon_issue,
        coupon_template_create,
        growth_record,
        notification_enqueue,
        points_earn,
    )

    template = coupon_template_create(
        actor=superuser,
        name="券",
        kind="free_shipping",
        validity="days",
        valid_days=7,
        total_stock=100,
    )

    def rows(count):
        for _ in range(count):
            member = make_member(province="上海")
            coupon_template_create(
                actor=superuser,
                name=f"券{member.pk}",
                kind="free_shipping",
                validity="days",
                valid_days=7,
                total_stock=100,
            )
            points_earn(member=member, reason="share", reference=f"s{member.pk}", points=5)
            growth_record(member=member, reason="adjustment", reference=f"g{member.pk}", amount=600)
            coupon_issue(member=member, template=template, source="grant", actor=superuser)
            notification_enqueue(member=member, kind="benefit", channel="in_app", payload={})

    client = admin_client_for(superuser)
    rows(2)
    client.get(reverse(url_name))  # warm caches (content types, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    rows(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("members.points_expiry_days", 10**9),
        ("members.growth_daily_login", 10**12),
        ("members.sign_in_points", 10**12),
        ("members.level_threshold_vip7", 10**12),
        ("members.points_per_yuan", 10**12),
    ],
)
def test_member_parameters_refuse_values_the_services_cannot_use(key, value):
    from ops.parameters import parameter_spec

    with pytest.raises(ValueError):
        parameter_spec(key).coerce(value)


def test_points_expiry_at_its_maximum_still_earns(make_member, settings):
    from ops.parameters import parameter_spec

    spec = parameter_spec("members.points_expiry_days")
    assert spec.maximum is not None
    assert timezone.now() + timedelta(days=spec.maximum)


def test_the_storefront_lists_only_coupons_that_can_still_be_claimed(
    member_client, member, superuser
):
    from members.services import coupon_template_create

    now = timezone.now()
    common = {"kind": "free_shipping", "total_stock": 5}
    running = coupon_template_create(
        actor=superuser, name="包邮", validity="days", valid_days=3, **common
    )
    ended = coupon_template_create(
        actor=superuser,
        name="过期包邮",
        validity="window",
        valid_from=now - timedelta(days=10),
        valid_until=now + timedelta(days=1),
        **common,
    )
    CouponTemplate.objects.filter(pk=ended.pk).update(valid_until=now - timedelta(days=1))
    body = member_client(member).get(reverse("store-coupons")).json()
    assert [row["id"] for row in body["results"]] == [running.pk]


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


def test_the_admin_form_refuses_validity_days_a_claim_could_not_date(admin_client_for, superuser):
    response = admin_client_for(superuser).post(
        reverse("admin:members_coupontemplate_add"), _template_form(valid_days="1000000")
    )
    assert response.status_code == 200  # redisplayed with the error
    assert not CouponTemplate.objects.exists()


def test_birthday_points_are_bounded_like_the_api_says(superuser):
    from members.exceptions import InvalidLevelRule
    from members.models import Level
    from members.services import level_rule_update

    level = Level.objects.get(rank=2)
    with pytest.raises(InvalidLevelRule) as raised:
        level_rule_update(actor=superuser, level=level, birthday_points=2_000_000_000)
    assert "birthday_points" in raised.value.fields
    assert level_rule_update(actor=superuser, level=level, birthday_points=1_000_000)


def test_the_address_inline_shows_only_addresses_in_the_viewers_scope(
    admin_client_for, make_member, make_staff
):
    from django.contrib.auth import get_user_model

    from mall.core.actors import system_actor
    from members.services import address_create
    from rbac import services as rbac_services
    from rbac.models import SalesRegion

    member = make_member(province="上海")  # default address: east
    address_create(
        actor=member,
        member=member,
        name="张三",
        phone="13911110000",
        province="广东",  # south
        city="深圳市",
        detail="南山路 8 号",
    )
    role = rbac_services.role_create(
        actor=system_actor(),
        code="east-viewer",
        name="east viewer",
        scope_kind="regions",
        regions=[SalesRegion.objects.get(code="east")],
        permissions=["members.view_member", "members.view_address"],
    )
    user = get_user_model().objects.create_user("eastie", password="x-pass-123", is_staff=True)
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    response = admin_client_for(user).get(reverse("admin:members_member_change", args=[member.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "上海" in html
    assert "深圳市" not in html  # the south address is outside the viewer's scope


def test_growth_and_points_beyond_their_columns_are_refused_not_a_database_error(
    make_member,
):
    from mall.core.exceptions import ApplicationError
    from members.services import growth_record_purchase, points_earn_for_purchase

    member = make_member()
    with pytest.raises(ApplicationError):
        growth_record_purchase(member=member, order_no="DDHUGE", paid_amount="999999999999.00")
    with pytest.raises(ApplicationError):
        points_earn_for_purchase(member=member, order_no="DDHUGE", paid_amount="999999999999.00")
    member.refresh_from_db()
    assert (member.growth, member.points_balance) == (0, 0)
