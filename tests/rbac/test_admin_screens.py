"""RBAC admin screens: they load, and their forms save through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from ops.models import AuditEntry
from rbac import services
from rbac.models import Department, Role, RoleAssignment, SalesRegion, StaffProfile
from tests.scopetest.models import Site

from .conftest import PASSWORD, fresh

SCREENS = [
    "salesregion",
    "province",
    "department",
    "role",
    "staffprofile",
    "roleassignment",
    "permissionrequest",
    "accessreview",
]


@pytest.fixture
def root_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("model", SCREENS)
def test_every_rbac_screen_loads_for_a_superuser(root_client, model, tree):
    response = root_client.get(reverse(f"admin:rbac_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "model", ["department", "role", "staffprofile", "roleassignment", "permissionrequest"]
)
def test_every_rbac_add_form_loads(root_client, model):
    assert root_client.get(reverse(f"admin:rbac_{model}_add")).status_code == 200


def test_the_user_and_object_grant_screens_load(root_client, tree, make_user):
    user = make_user("someone", tree["ops"])
    assert root_client.get(reverse("admin:auth_user_changelist")).status_code == 200
    assert root_client.get(reverse("admin:auth_user_change", args=[user.pk])).status_code == 200
    url = reverse("admin:guardian_userobjectpermission_changelist")
    assert root_client.get(url).status_code == 200


def test_creating_a_role_in_the_admin_goes_through_the_service(root_client, regions):
    response = root_client.post(
        reverse("admin:rbac_role_add"),
        {
            "code": "south-ops",
            "name": "华南订单运营",
            "description": "",
            "scope_kind": "regions",
            "regions": [regions["south"].pk],
            "permissions": [],
            "is_active": "on",
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    role = Role.objects.get(code="south-ops")
    assert list(role.regions.values_list("code", flat=True)) == ["south"]
    assert role.group.name == "role:south-ops"
    assert AuditEntry.objects.filter(action="rbac.role_create", object_id=str(role.pk)).exists()


def test_a_regions_role_without_regions_is_refused_with_a_message(root_client):
    response = root_client.post(
        reverse("admin:rbac_role_add"),
        {
            "code": "broken",
            "name": "broken",
            "scope_kind": "regions",
            "is_active": "on",
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the same form again, with what was typed
    assert not Role.objects.filter(code="broken").exists()
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("region" in m.lower() or "大区" in m for m in messages)
    form = response.context["adminform"].form
    assert form.errors and form["code"].value() == "broken"
    assert 'value="broken"' in response.content.decode()


def test_creating_staff_and_a_department_in_the_admin(root_client, tree):
    response = root_client.post(
        reverse("admin:rbac_department_add"),
        {"code": "cs", "name": "客服部", "parent": tree["root"].pk, "sort_order": 0},
    )
    assert response.status_code == 302
    cs = Department.objects.get(code="cs")
    assert cs.path == f"{tree['root'].path}{cs.pk}/"
    response = root_client.post(
        reverse("admin:rbac_staffprofile_add"),
        {
            "username": "cs_agent",
            "password": "mall-demo-2026",
            "employee_number": "M2001",
            "department": cs.pk,
            "phone": "13700000003",
            "joined_on": "2026-01-05",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = StaffProfile.objects.get(employee_number="M2001")
    assert profile.user.is_staff and profile.user.check_password("mall-demo-2026")


def test_assigning_a_restricted_role_to_another_department_shows_an_error(
    root_client, tree, make_user, make_role
):
    role = make_role("ops-only", department=tree["ops"])
    accountant = make_user("accountant", tree["finance"])
    response = root_client.post(
        reverse("admin:rbac_roleassignment_add"), {"user": accountant.pk, "role": role.pk}
    )
    assert response.status_code == 200  # the same form again, with what was typed
    assert not RoleAssignment.objects.filter(user=accountant).exists()
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("ops-only" in m for m in messages)
    form = response.context["adminform"].form
    assert form.errors and str(form["user"].value()) == str(accountant.pk)


def test_extra_permissions_are_given_on_the_staff_profile(root_client, tree, make_user):
    from django.contrib.auth.models import Permission

    user = make_user("special", tree["ops"])
    permission = Permission.objects.get(codename="view_role")
    profile = user.staff_profile
    response = root_client.post(
        reverse("admin:rbac_staffprofile_change", args=[profile.pk]),
        {
            "employee_number": profile.employee_number,
            "department": tree["ops"].pk,
            "phone": "",
            "joined_on": "2026-01-05",
            "extra_permissions": [permission.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert get_user_model().objects.get(pk=user.pk).has_perm("rbac.view_role")
    assert AuditEntry.objects.filter(action="rbac.user_permission_add").exists()


def test_object_grants_are_managed_in_the_admin(root_client, tree, make_user):
    from django.contrib.auth.models import Permission
    from guardian.models import UserObjectPermission

    clerk = make_user("clerk", tree["ops"])
    site = Site.objects.create(code="WH-SH")
    permission = Permission.objects.get(codename="work_site")
    response = root_client.post(
        reverse("admin:guardian_userobjectpermission_add"),
        {"user": clerk.pk, "permission": permission.pk, "object_pk": str(site.pk)},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = UserObjectPermission.objects.get(user=clerk)
    assert grant.content_object == site
    root_client.post(
        reverse("admin:guardian_userobjectpermission_changelist"),
        {"action": "revoke_selected", "_selected_action": [grant.pk], "index": 0},
    )
    assert not UserObjectPermission.objects.filter(user=clerk).exists()


def test_moving_a_province_to_another_region_is_audited(root_client):
    from rbac.models import Province

    shanghai = Province.objects.resolve("上海")
    north = SalesRegion.objects.get(code="north")
    response = root_client.post(
        reverse("admin:rbac_province_change", args=[shanghai.pk]), {"region": north.pk}
    )
    assert response.status_code == 302
    shanghai.refresh_from_db()
    assert shanghai.region == north
    assert AuditEntry.objects.filter(action="rbac.province_move").exists()


# --- passwords in the user admin -----------------------------------------------------------


def test_a_password_change_in_the_user_admin_goes_through_a_service_and_is_audited(
    superuser, tree, make_user
):
    target = make_user("clerk", tree["ops"])
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(
        url,
        {
            "password1": "N3w-secret-pass!",
            "password2": "N3w-secret-pass!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:500]
    target = get_user_model().objects.get(pk=target.pk)
    assert target.check_password("N3w-secret-pass!")
    entry = AuditEntry.objects.get(action="auth.password_change", object_id=str(target.pk))
    assert entry.actor_id == superuser.pk
    assert "N3w-secret-pass!" not in str(entry.data)


def test_a_password_change_in_the_user_admin_outside_scope_is_not_found(
    system, tree, make_user, make_role
):
    role = make_role("hr-ops", "department", perms=["auth.view_user", "auth.change_user"])
    hr = make_user("hr", tree["ops"])
    services.role_assign(actor=system, user=hr, role=role)
    outsider = make_user("fin_clerk", tree["finance"])
    client = Client()
    client.force_login(fresh(hr))
    url = reverse("admin:auth_user_password_change", args=[outsider.pk])
    response = client.post(url, {"password1": "N3w-secret-pass!", "password2": "N3w-secret-pass!"})
    assert response.status_code in (302, 404)
    assert get_user_model().objects.get(pk=outsider.pk).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="auth.password_change").exists()
