"""Searching a member by phone: audited, rate limited per staff user, bursts alert the
security owner, and a partial number never matches phone digits."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ops.models import AuditEntry, StaffNotification, SystemParameter

VIEW = ("members.view_member",)


@pytest.fixture
def limit_of_three(db):
    SystemParameter.objects.create(key="members.phone_search_per_hour", value=3)


def test_each_api_phone_search_is_audited_with_the_matched_member_not_the_phone(
    staff_client, make_staff, make_member
):
    member = make_member("13911112222")
    user = make_staff("cs", superuser=True)
    client = staff_client(user)
    found = client.get(reverse("member-list"), {"phone": "13911112222"}).json()
    assert [m["id"] for m in found["results"]] == [member.pk]
    client.get(reverse("member-list"), {"phone": "13900000000"})
    entries = list(AuditEntry.objects.filter(action="member.phone_search").order_by("pk"))
    assert [(e.actor_id, e.object_id, e.data["matched"]) for e in entries] == [
        (user.pk, str(member.pk), True),
        (user.pk, "", False),
    ]
    assert all("13911112222" not in str(e.data) for e in entries)


def test_the_api_answers_429_in_the_error_shape_past_the_hourly_limit(
    staff_client, make_staff, make_member, limit_of_three
):
    make_member("13911112222")
    client = staff_client(make_staff("cs", superuser=True))
    for _ in range(3):
        assert client.get(reverse("member-list"), {"phone": "13911112222"}).status_code == 200
    response = client.get(reverse("member-list"), {"phone": "13911112222"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "phone_search_rate_limited"
    assert AuditEntry.objects.filter(action="member.phone_search").count() == 3


def test_the_limit_is_per_staff_user(staff_client, make_staff, make_member, limit_of_three):
    make_member("13911112222")
    first = staff_client(make_staff("cs1", superuser=True))
    for _ in range(4):
        first.get(reverse("member-list"), {"phone": "13911112222"})
    other = staff_client(make_staff("cs2", superuser=True))
    assert other.get(reverse("member-list"), {"phone": "13911112222"}).status_code == 200


def test_reaching_the_limit_notifies_the_security_owner_once(
    staff_client, make_staff, make_member, limit_of_three
):
    make_member("13911112222")
    owner = make_staff("secops", perms=("members.receive_security_alerts",))
    bystander = make_staff("bystander", superuser=True)
    client = staff_client(make_staff("cs", superuser=True))
    for _ in range(5):
        client.get(reverse("member-list"), {"phone": "13911112222"})
    alerts = StaffNotification.objects.filter(kind="security.phone_search_burst")
    assert list(alerts.values_list("recipient_id", flat=True)) == [owner.pk]
    assert not StaffNotification.objects.filter(recipient=bystander).exists()


def test_admin_search_is_audited_and_limited_with_an_error_message(
    admin_client_for, make_staff, make_member, limit_of_three
):
    member = make_member("13911112222")
    client = admin_client_for(make_staff("cs", superuser=True))
    url = reverse("admin:members_member_changelist")
    for _ in range(3):
        response = client.get(url, {"q": "139 1111 2222"})
        assert [m.pk for m in response.context["cl"].result_list] == [member.pk]
    refused = client.get(url, {"q": "13911112222"})
    assert refused.status_code == 200
    assert list(refused.context["cl"].result_list) == []
    assert "phone_search_rate_limited" not in refused.content.decode()
    assert [str(m) for m in refused.context["messages"]] == [
        "按手机号查询次数过多，请一小时后再试。"
    ]
    assert (
        AuditEntry.objects.filter(action="member.phone_search", object_id=str(member.pk)).count()
        == 3
    )


def test_a_partial_phone_never_matches_masked_digits(
    admin_client_for, staff_client, make_staff, make_member
):
    make_member("13911112222")
    superuser = make_staff("cs", superuser=True)
    url = reverse("admin:members_member_changelist")
    for term in ("1111", "139", "2222", "1391111", "1111222"):
        response = admin_client_for(superuser).get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [], term
        body = staff_client(superuser).get(reverse("member-list"), {"phone": term}).json()
        assert body["results"] == [], term
