"""Function permissions on the API: reads need view, writes need the action's permission."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rbac import services
from rbac.models import RoleAssignment

from .conftest import fresh


@pytest.fixture
def viewer(system, tree, make_user, make_role):
    user = make_user("viewer", tree["ops"])
    role = make_role(
        "viewer",
        "all",
        perms=["rbac.view_role", "rbac.view_staffprofile", "scopetest.view_ticket"],
    )
    services.role_assign(actor=system, user=user, role=role)
    return fresh(user)


def test_a_user_who_may_view_but_not_change_gets_403_on_writes(
    viewer, tree, make_user, make_role, staff_client
):
    target = make_user("target", tree["ops"])
    role = make_role("some-role")
    client = staff_client(viewer)
    assert client.get(reverse("rbac-role-list")).status_code == 200
    assert client.get(reverse("rbac-role-detail", args=[role.pk])).status_code == 200
    assign = client.post(
        reverse("rbac-role-assign", args=[role.pk]), {"user": "target"}, format="json"
    )
    assert assign.status_code == 403
    assert assign.json()["error"]["code"] == "permission_denied"
    deactivate = client.post(
        reverse("rbac-staff-deactivate", args=[target.staff_profile.pk]),
        {"reason": "x"},
        format="json",
    )
    assert deactivate.status_code == 403
    assert not RoleAssignment.objects.filter(user=target).exists()
    assert fresh(target).is_active


@pytest.mark.urls("tests.scopetest.urls")
def test_a_custom_action_without_its_permission_is_403_even_in_scope(viewer, regions, staff_client):
    from tests.scopetest.models import Ticket

    ticket = Ticket.objects.create(title="t", region=regions["east"])
    response = staff_client(viewer).post(reverse("scopetest-ticket-close", args=[ticket.pk]))
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert not ticket.is_closed


def test_reads_without_the_view_permission_are_403(tree, make_user, staff_client):
    nobody = make_user("nobody", tree["ops"])
    assert staff_client(nobody).get(reverse("rbac-role-list")).status_code == 403
    assert staff_client(nobody).get(reverse("rbac-staff-list")).status_code == 403


def test_anonymous_callers_get_401(api_client):
    response = api_client.get(reverse("rbac-role-list"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_assigning_through_the_api_goes_through_the_service(
    system, tree, make_user, make_role, staff_client
):
    admin = make_user("admin2", tree["root"])
    services.role_assign(
        actor=system,
        user=admin,
        role=make_role("assigner", "all", perms=["rbac.view_role", "rbac.assign_role"]),
    )
    make_user("target", tree["finance"])
    restricted = make_role("ops-only", department=tree["ops"])
    client = staff_client(fresh(admin))
    refused = client.post(
        reverse("rbac-role-assign", args=[restricted.pk]), {"user": "target"}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "role_department_mismatch"
    open_role = make_role("open")
    done = client.post(
        reverse("rbac-role-assign", args=[open_role.pk]), {"user": "target"}, format="json"
    )
    assert done.status_code == 201
    assert done.json()["role"] == "open"
    missing = client.post(
        reverse("rbac-role-assign", args=[open_role.pk]), {"user": "ghost"}, format="json"
    )
    assert missing.status_code == 404


def test_me_describes_the_callers_roles_permissions_and_scope(
    system, tree, make_user, make_role, staff_client
):
    user = make_user("ops_east", tree["ops_east"])
    services.role_assign(
        actor=system,
        user=user,
        role=make_role("east", "regions", perms=["rbac.view_role"], region_codes=["east"]),
    )
    body = staff_client(fresh(user)).get(reverse("rbac-me")).json()
    assert body == {
        "username": "ops_east",
        "department": "ops-east",
        "roles": ["east"],
        "permissions": ["rbac.view_role"],
        "scope": ["regions: east"],
    }


def test_staff_phone_numbers_are_masked_in_the_staff_api(viewer, tree, make_user, staff_client):
    make_user("someone", tree["ops"], phone="13912345678")
    results = staff_client(viewer).get(reverse("rbac-staff-list")).json()["results"]
    phones = {row["username"]: row["phone"] for row in results}
    assert phones["someone"] == "139****5678"


def test_staff_lists_filter_and_reject_bad_filters_with_400(viewer, tree, make_user, staff_client):
    make_user("in-finance", tree["finance"])
    client = staff_client(viewer)
    rows = client.get(reverse("rbac-staff-list"), {"department": tree["finance"].pk}).json()
    assert [row["username"] for row in rows["results"]] == ["in-finance"]
    bad = client.get(reverse("rbac-staff-list"), {"department": "not-a-number"})
    assert bad.status_code == 400
    assert "department" in bad.json()["error"]["fields"]
