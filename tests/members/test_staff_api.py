"""Staff API under /api/v1/members/: permissions, data scope, masking and reveal audit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mall.core.actors import system_actor
from members.models import Member, PointsEntry
from ops.models import AuditEntry
from rbac import services as rbac_services
from rbac.models import SalesRegion

VIEW = ("members.view_member",)


@pytest.fixture
def regional_staff(db, make_staff):
    """Staff with view rights on members, scoped to region east."""

    def make(username: str, perms=VIEW):
        system = system_actor()
        role = rbac_services.role_create(
            actor=system,
            code=f"r-{username}",
            name=username,
            scope_kind="regions",
            regions=[SalesRegion.objects.get(code="east")],
            permissions=perms,
        )
        user = make_staff(username)
        rbac_services.role_assign(actor=system, user=user, role=role)
        return type(user).objects.get(pk=user.pk)

    return make


def test_list_is_masked_without_pii_permission(staff_client, regional_staff, make_member):
    make_member("13911112222", name="王大锤", province="上海")
    body = staff_client(regional_staff("cs")).get(reverse("member-list")).json()
    assert [(m["phone"], m["name"]) for m in body["results"]] == [("139****2222", "王**")]
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_pii_holders_see_plaintext_and_each_reveal_is_audited(
    staff_client, regional_staff, make_member
):
    member = make_member("13911112222", name="王大锤", province="上海")
    user = regional_staff("lead", perms=(*VIEW, "members.view_member_pii"))
    response = staff_client(user).get(
        reverse("member-detail", args=[member.pk]), HTTP_X_PII_REASON="complaint 42"
    )
    assert response.json()["phone"] == "13911112222"
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.actor_id == user.pk
    assert entry.data["records"] == [str(member.pk)]
    assert entry.data["reason"] == "complaint 42"
    assert "phone" in entry.data["fields"]


def test_members_outside_the_scope_are_not_found(staff_client, regional_staff, make_member):
    east = make_member(province="上海")
    north = make_member(province="北京")
    client = staff_client(regional_staff("cs", perms=(*VIEW, "members.view_pointsentry")))
    listed = {m["id"] for m in client.get(reverse("member-list")).json()["results"]}
    assert listed == {east.pk}
    assert client.get(reverse("member-detail", args=[north.pk])).status_code == 404
    assert client.get(reverse("member-points", args=[north.pk])).status_code == 404
    assert client.get(reverse("member-points", args=[east.pk])).status_code == 200


def test_search_by_full_phone(staff_client, superuser, make_member):
    member = make_member("13911112222")
    make_member("13911113333")
    client = staff_client(superuser)
    found = client.get(reverse("member-list"), {"phone": "13911112222"}).json()["results"]
    assert [m["id"] for m in found] == [member.pk]
    assert client.get(reverse("member-list"), {"phone": "1391111"}).json()["results"] == []


def test_list_query_count_does_not_grow_with_rows(
    staff_client, superuser, make_member, django_assert_max_num_queries
):
    for _ in range(15):
        make_member(province="广东")
    client = staff_client(superuser)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("member-list"), {"page_size": 50})
    assert len(response.json()["results"]) == 15


def test_status_change_needs_its_permission_and_a_reason(staff_client, regional_staff, make_member):
    member = make_member(province="上海")
    viewer = staff_client(regional_staff("viewer"))
    url = reverse("member-set-status", args=[member.pk])
    assert viewer.post(url, {"status": "frozen", "reason": "x"}, format="json").status_code == 403
    manager = staff_client(regional_staff("manager", perms=(*VIEW, "members.manage_member_status")))
    assert manager.post(url, {"status": "frozen"}, format="json").status_code == 400
    response = manager.post(url, {"status": "frozen", "reason": "refund abuse"}, format="json")
    assert response.status_code == 200
    assert Member.objects.get(pk=member.pk).status == "frozen"
    closed = manager.post(url, {"status": "active", "reason": "ok"}, format="json")
    assert closed.status_code == 200


def test_points_adjustment_is_idempotent_by_reference(staff_client, superuser, make_member):
    member = make_member()
    client = staff_client(superuser)
    url = reverse("member-adjust-points", args=[member.pk])
    body = {"amount": 500, "reference": "ticket-1", "note": "compensation"}
    assert client.post(url, body, format="json").status_code == 201
    assert client.post(url, body, format="json").status_code == 201
    assert Member.objects.get(pk=member.pk).points_balance == 500
    too_much = client.post(url, {**body, "amount": -600, "reference": "t2"}, format="json")
    assert too_much.status_code == 409


def test_coupon_templates_are_created_validated_and_granted(staff_client, superuser, make_member):
    client = staff_client(superuser)
    bad = client.post(
        reverse("member-coupon-template-list"),
        {
            "name": "坏券",
            "kind": "percent_off",
            "discount_rate": "0.000",
            "validity": "days",
            "valid_days": 3,
            "total_stock": 5,
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "discount_rate" in bad.json()["error"]["fields"]
    created = client.post(
        reverse("member-coupon-template-list"),
        {
            "name": "八五折",
            "kind": "percent_off",
            "discount_rate": "0.850",
            "validity": "days",
            "valid_days": 3,
            "total_stock": 1,
            "is_claimable": False,
        },
        format="json",
    )
    assert created.status_code == 201
    template_id = created.json()["id"]
    member = make_member()
    grant_url = reverse("member-coupon-template-grant", args=[template_id])
    assert client.post(grant_url, {"member": member.pk}, format="json").status_code == 201
    sold_out = client.post(grant_url, {"member": member.pk}, format="json")
    assert sold_out.status_code == 409
    assert sold_out.json()["error"]["code"] == "coupon_sold_out"


def test_level_rules_list_with_thresholds_and_update(staff_client, superuser):
    client = staff_client(superuser)
    levels = client.get(reverse("member-level-list")).json()
    assert [level["code"] for level in levels] == [f"VIP{i}" for i in range(1, 8)]
    assert levels[1]["threshold"] == 500
    response = client.patch(
        reverse("member-level-detail", args=[levels[0]["id"]]),
        {"discount_rate": "0.990"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["discount_rate"] == "0.990"


def test_member_export_is_scoped_and_masked(staff_client, regional_staff, make_member):
    make_member("13911112222", province="上海")
    make_member("13911113333", province="北京")
    response = staff_client(regional_staff("cs")).get(reverse("member-export"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "139****2222" in body
    assert "13911112222" not in body
    assert "3333" not in body
    assert AuditEntry.objects.filter(action="data.export", object_type="members.member").exists()


def test_growth_adjustment_moves_the_level_and_needs_its_permission(
    staff_client, regional_staff, superuser, make_member
):
    member = make_member(province="上海")
    url = reverse("member-adjust-growth", args=[member.pk])
    body = {"amount": 2000, "reference": "complaint-7", "note": "goodwill"}
    assert staff_client(regional_staff("viewer")).post(url, body, format="json").status_code == 403
    client = staff_client(superuser)
    assert client.post(url, body, format="json").status_code == 201
    assert client.post(url, body, format="json").status_code == 201
    member.refresh_from_db()
    assert (member.growth, member.level.code) == (2000, "VIP3")


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


def test_the_member_list_filters_by_level_status_and_region_codes(
    staff_client, superuser, make_member
):
    from members.services import member_set_status

    east, north = make_member(province="上海"), make_member(province="北京")
    member_set_status(actor=superuser, member=north, status="frozen", reason="abuse")
    client = staff_client(superuser)

    def ids(**query):
        response = client.get(reverse("member-list"), query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(status="frozen") == {north.pk}
    assert ids(region="east") == {east.pk}
    assert ids(level="VIP1") == {east.pk, north.pk}
    assert ids(level="VIP7") == set()
    for bad in ({"status": "sleeping"}, {"phone": "1" * 21}):
        response = client.get(reverse("member-list"), bad)
        assert response.status_code == 400
        assert set(bad) <= set(response.json()["error"]["fields"])


def test_the_per_member_lists_take_their_own_filters(staff_client, superuser, make_member):
    from members.services import points_earn

    member = make_member()
    points_earn(actor=member, member=member, reason="share", reference="S1", points=5)
    points_earn(actor=member, member=member, reason="review", reference="R1", points=5)
    client = staff_client(superuser)
    url = reverse("member-points", args=[member.pk])
    rows = client.get(url, {"reason": "review"}).json()["results"]
    assert [row["reference"] for row in rows] == ["R1"]
    assert client.get(url, {"reason": "lottery"}).status_code == 400
    coupons = reverse("member-coupons", args=[member.pk])
    assert client.get(coupons, {"status": "lost"}).status_code == 400
    growth = reverse("member-growth", args=[member.pk])
    assert client.get(growth, {"reason": "purchase"}).json()["results"] == []


def test_malformed_and_huge_ids_are_404_not_errors(staff_client, superuser):
    client = staff_client(superuser)
    for name in ("member-detail", "member-points", "member-address-detail"):
        assert client.get(reverse(name, args=[999_999_999_999_999_999])).status_code == 404
    response = client.patch(
        reverse("member-level-detail", args=[999_999_999_999_999_999]), {"name": "x"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "level_not_found"
