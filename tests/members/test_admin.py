"""Admin: members masked per RBAC, reveal audited, phone search, actions via services."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from members.models import Address, CouponTemplate, Member
from ops.models import AuditEntry


def test_superuser_sees_plaintext_and_the_reveal_is_audited(
    admin_client_for, superuser, make_member
):
    member = make_member("13911112222", name="王大锤", province="上海")
    response = admin_client_for(superuser).get(reverse("admin:members_member_changelist"))
    html = response.content.decode()
    assert "13911112222" in html
    entry = AuditEntry.objects.get(action="pii.reveal", object_type="members.member")
    assert entry.data["records"] == [str(member.pk)]
    change = admin_client_for(superuser).get(
        reverse("admin:members_member_change", args=[member.pk])
    )
    assert change.status_code == 200
    assert "幸福路 1 号" in change.content.decode()


def test_masked_for_a_scoped_viewer(admin_client_for, make_member, db):
    from mall.core.actors import system_actor
    from rbac import services
    from rbac.models import SalesRegion

    make_member("13911112222", name="王大锤", province="上海")
    role = services.role_create(
        actor=system_actor(),
        code="cs-all",
        name="cs",
        scope_kind="all",
        permissions=["members.view_member", "members.view_address"],
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("viewer", password="x-pass-123", is_staff=True)
    services.role_assign(actor=system_actor(), user=user, role=role)
    assert SalesRegion.objects.exists()
    html = admin_client_for(user).get(reverse("admin:members_member_changelist")).content.decode()
    assert "139****2222" in html
    assert "13911112222" not in html
    assert "王大锤" not in html
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_search_finds_a_member_by_full_phone(admin_client_for, superuser, make_member):
    member = make_member("13911112222")
    make_member("13911113333")
    response = admin_client_for(superuser).get(
        reverse("admin:members_member_changelist"), {"q": "13911112222"}
    )
    assert [m.pk for m in response.context["cl"].result_list] == [member.pk]


def test_freeze_action_goes_through_the_service(admin_client_for, superuser, make_member):
    member = make_member()
    admin_client_for(superuser).post(
        reverse("admin:members_member_changelist"),
        {"action": "freeze_selected", "_selected_action": [member.pk]},
    )
    assert Member.objects.get(pk=member.pk).status == "frozen"
    assert AuditEntry.objects.filter(action="member.set_status", object_id=str(member.pk)).exists()


def test_coupon_template_admin_validates_and_creates_through_the_service(
    admin_client_for, superuser
):
    client = admin_client_for(superuser)
    data = {
        "name": "满100减20",
        "kind": "amount_off",
        "discount_amount": "200.00",
        "threshold_amount": "100.00",
        "validity": "days",
        "valid_days": "7",
        "total_stock": "10",
        "per_member_limit": "1",
        "is_claimable": "on",
        "is_active": "on",
    }
    bad = client.post(reverse("admin:members_coupontemplate_add"), data)
    assert bad.status_code == 200  # form redisplayed with the rule's error
    assert not CouponTemplate.objects.exists()
    client.post(reverse("admin:members_coupontemplate_add"), {**data, "discount_amount": "20.00"})
    template = CouponTemplate.objects.get()
    assert template.discount_amount == Decimal("20.00")
    assert AuditEntry.objects.filter(action="coupon_template.create").exists()


def test_ledgers_are_read_only(admin_client_for, superuser, make_member):
    from members.services import points_earn

    member = make_member()
    entry = points_earn(actor=member, member=member, reason="share", reference="S1", points=5)
    client = admin_client_for(superuser)
    assert client.get(reverse("admin:members_pointsentry_changelist")).status_code == 200
    response = client.post(
        reverse("admin:members_pointsentry_change", args=[entry.pk]), {"points": 500}
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:members_pointsentry_add")).status_code == 403


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
    coupon_claim(actor=None, member=make_member(), template=template)
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


def test_the_admin_form_refuses_validity_days_a_claim_could_not_date(admin_client_for, superuser):
    response = admin_client_for(superuser).post(
        reverse("admin:members_coupontemplate_add"), _template_form(valid_days="1000000")
    )
    assert response.status_code == 200  # redisplayed with the error
    assert not CouponTemplate.objects.exists()


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


def test_the_member_admins_use_the_kernels_pii_mixin():
    """One way: the members admin masks and audits through ``mall.core.admin.PiiAdminMixin``."""
    from django.contrib import admin as django_admin

    from mall.core.admin import PiiAdminMixin

    for model in (Member, Address):
        assert isinstance(django_admin.site._registry[model], PiiAdminMixin), model


def test_a_member_page_whose_reveal_cannot_be_recorded_sends_nothing(
    superuser, make_member, monkeypatch
):
    from django.test import Client

    import mall.core.audit

    member = make_member("13911112222", name="王大锤", province="上海")
    recorder = mall.core.audit._recorder

    def failing(**kwargs):
        if kwargs["action"] == "pii.reveal":
            raise RuntimeError("audit log unavailable")
        return recorder(**kwargs)

    monkeypatch.setattr(mall.core.audit, "_recorder", failing)
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    for url in (
        reverse("admin:members_member_changelist"),
        reverse("admin:members_member_change", args=[member.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 500
        assert "13911112222" not in response.content.decode()
