"""Roles: department restriction, department default roles, expiry validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rbac import services
from rbac.exceptions import RbacPermissionDenied, RoleDepartmentMismatch
from rbac.models import RoleAssignment

from .conftest import fresh


def test_a_role_restricted_to_a_department_cannot_be_given_to_another_departments_staff(
    system, tree, make_user, make_role
):
    role = make_role("ops-only", kind="all", department=tree["ops"])
    accountant = make_user("accountant", tree["finance"])
    with pytest.raises(RoleDepartmentMismatch):
        services.role_assign(actor=system, user=accountant, role=role)
    assert not RoleAssignment.objects.filter(user=accountant).exists()
    assert not fresh(accountant).groups.filter(pk=role.group_id).exists()


def test_a_restricted_role_may_be_held_in_a_sub_department(system, tree, make_user, make_role):
    role = make_role("ops-only", kind="all", department=tree["ops"])
    junior = make_user("junior", tree["ops_east"])
    services.role_assign(actor=system, user=junior, role=role)
    assert fresh(junior).groups.filter(pk=role.group_id).exists()


def test_moving_a_holder_out_of_the_roles_department_is_refused(system, tree, make_user, make_role):
    role = make_role("ops-only", kind="all", department=tree["ops"])
    junior = make_user("junior", tree["ops_east"])
    services.role_assign(actor=system, user=junior, role=role)
    with pytest.raises(RoleDepartmentMismatch):
        services.staff_profile_update(
            actor=system, profile=junior.staff_profile, department=tree["finance"]
        )
    junior.staff_profile.refresh_from_db()
    assert junior.staff_profile.department == tree["ops_east"]


def test_restricting_a_role_must_fit_its_current_holders(system, tree, make_user, make_role):
    role = make_role("anyone", kind="all")
    accountant = make_user("accountant", tree["finance"])
    services.role_assign(actor=system, user=accountant, role=role)
    with pytest.raises(RoleDepartmentMismatch):
        services.role_update(actor=system, role=role, department=tree["ops"])


def test_department_default_roles_are_held_by_members_and_dropped_when_they_move(
    system, tree, make_user, make_role
):
    role = make_role("ops-default", kind="department", perms=["rbac.view_staffprofile"])
    services.department_update(actor=system, department=tree["ops"], default_roles=[role])
    member = make_user("member", tree["ops"])
    assert fresh(member).has_perm("rbac.view_staffprofile")
    services.staff_profile_update(
        actor=system, profile=member.staff_profile, department=tree["finance"]
    )
    assert not fresh(member).has_perm("rbac.view_staffprofile")


def test_only_holders_of_assign_role_may_assign(tree, make_user, make_role, make_staff):
    role = make_role("plain")
    clerk = make_user("clerk", tree["ops"])
    viewer = make_staff("viewer", perms=("rbac.view_role",))
    with pytest.raises(RbacPermissionDenied):
        services.role_assign(actor=viewer, user=clerk, role=role)
    assigner = make_staff("assigner", perms=("rbac.assign_role",))
    services.role_assign(actor=assigner, user=clerk, role=role)
    assert RoleAssignment.objects.filter(user=clerk, role=role, granted_by=assigner).exists()


def test_an_expiry_in_the_past_is_refused(system, tree, make_user, make_role):
    from rbac.exceptions import InvalidRoleConfiguration

    role = make_role("plain")
    clerk = make_user("clerk", tree["ops"])
    with pytest.raises(InvalidRoleConfiguration):
        services.role_assign(
            actor=system, user=clerk, role=role, expires_at=timezone.now() - timedelta(hours=1)
        )


def test_assigning_and_revoking_are_audited(system, tree, make_user, make_role):
    from ops.models import AuditEntry

    role = make_role("plain", perms=["rbac.view_role"])
    clerk = make_user("clerk", tree["ops"])
    services.role_assign(actor=system, user=clerk, role=role)
    assert fresh(clerk).has_perm("rbac.view_role")
    services.role_revoke(actor=system, user=clerk, role=role, reason="moved on")
    assert not fresh(clerk).has_perm("rbac.view_role")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert "rbac.role_assign" in actions
    revoke = AuditEntry.objects.get(action="rbac.role_revoke")
    assert revoke.data["reason"] == "moved on"
    assert revoke.data["role"] == "plain"


# --- restricted roles and department defaults ----------------------------------------------


def test_a_restricted_role_cannot_be_a_default_role_of_another_department(
    system, tree, make_user, make_role
):
    ops_only = make_role("ops-only", "all", perms=["rbac.view_role"], department=tree["ops"])
    accountant = make_user("accountant", tree["finance"])
    with pytest.raises(RoleDepartmentMismatch):
        services.department_update(
            actor=system, department=tree["finance"], default_roles=[ops_only]
        )
    with pytest.raises(RoleDepartmentMismatch):
        services.department_create(
            actor=system, code="audit", name="审计部", parent=tree["root"], default_roles=[ops_only]
        )
    assert not fresh(accountant).has_perm("rbac.view_role")
    # inside the department (and below) it is fine
    services.department_update(actor=system, department=tree["ops_east"], default_roles=[ops_only])


def test_restricting_a_role_that_is_another_departments_default_is_refused(
    system, tree, make_user, make_role
):
    shared = make_role("shared", "all", perms=["rbac.view_role"])
    services.department_update(actor=system, department=tree["finance"], default_roles=[shared])
    accountant = make_user("accountant", tree["finance"])
    assert fresh(accountant).has_perm("rbac.view_role")
    with pytest.raises(RoleDepartmentMismatch):
        services.role_update(actor=system, role=shared, department=tree["ops"])
    shared.refresh_from_db()
    assert shared.department_id is None


def test_moving_a_department_away_from_a_restricted_roles_department_is_refused(
    system, tree, make_user, make_role
):
    ops_only = make_role("ops-only", "all", perms=["rbac.view_role"], department=tree["ops"])
    east_clerk = make_user("east_clerk", tree["ops_east"])
    services.role_assign(actor=system, user=east_clerk, role=ops_only)
    with pytest.raises(RoleDepartmentMismatch):
        services.department_update(
            actor=system, department=tree["ops_east"], parent=tree["finance"]
        )
    tree["ops_east"].refresh_from_db()
    assert tree["ops_east"].parent_id == tree["ops"].pk


def test_a_restricted_role_for_another_departments_staff_over_the_api_is_a_409(
    system, tree, make_user, make_role, staff_client
):
    ops_only = make_role("ops-only", "all", perms=["rbac.view_role"], department=tree["ops"])
    admin_role = make_role(
        "rbac-admin", "all", perms=["rbac.view_role", "rbac.assign_role", "auth.view_user"]
    )
    granter = make_user("granter", tree["root"])
    services.role_assign(actor=system, user=granter, role=admin_role)
    accountant = make_user("accountant", tree["finance"])
    response = staff_client(fresh(granter)).post(
        f"/api/v1/rbac/roles/{ops_only.pk}/assign/", {"user": "accountant"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "role_department_mismatch"
    assert not fresh(accountant).has_perm("rbac.view_role")
