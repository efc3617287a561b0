"""Nobody widens their own rights: more rights for oneself go through a permission request."""

from __future__ import annotations

import pytest

from rbac import services
from rbac.exceptions import RbacPermissionDenied
from tests.scopetest.models import Site

from .conftest import fresh


def test_a_role_granter_cannot_give_themselves_a_role_a_permission_or_an_object(
    system, tree, make_user, make_role, staff_client
):
    granter_role = make_role(
        "granter",
        "all",
        perms=[
            "rbac.view_role",
            "rbac.assign_role",
            "auth.view_user",
            "rbac.change_user_permissions",
            "rbac.grant_object_permission",
        ],
    )
    wide = make_role("wide", "all", perms=["members.view_member_pii"])
    granter = make_user("granter", tree["ops"])
    services.role_assign(actor=system, user=granter, role=granter_role)
    granter = fresh(granter)
    with pytest.raises(RbacPermissionDenied):
        services.role_assign(actor=granter, user=fresh(granter), role=wide)
    with pytest.raises(RbacPermissionDenied):
        services.user_permission_add(
            actor=granter, user=fresh(granter), perm="members.view_member_pii"
        )
    with pytest.raises(RbacPermissionDenied):
        services.object_permission_grant(
            actor=granter,
            user=fresh(granter),
            perm="scopetest.work_site",
            obj=Site.objects.create(code="WH-SH"),
        )
    response = staff_client(granter).post(
        f"/api/v1/rbac/roles/{wide.pk}/assign/", {"user": "granter"}, format="json"
    )
    assert response.status_code == 403
    assert not fresh(granter).has_perm("members.view_member_pii")
    # giving it to somebody else is what the permission is for
    other = make_user("other", tree["ops"])
    services.role_assign(actor=granter, user=other, role=wide)
    assert fresh(other).has_perm("members.view_member_pii")


def test_a_role_editor_cannot_widen_a_role_they_hold_or_their_own_departments_defaults(
    system, tree, make_user, make_role
):
    editor_role = make_role(
        "role-editor", "department", perms=["rbac.change_role", "rbac.change_department"]
    )
    editor = make_user("editor", tree["ops"])
    services.role_assign(actor=system, user=editor, role=editor_role)
    editor = fresh(editor)
    with pytest.raises(RbacPermissionDenied):
        services.role_update(
            actor=editor, role=editor_role, permissions=["members.view_member_pii"]
        )
    with pytest.raises(RbacPermissionDenied):
        services.role_update(actor=editor, role=editor_role, scope_kind="all")
    with pytest.raises(RbacPermissionDenied):
        services.role_permissions_add(
            actor=editor, role=editor_role, permissions=["members.view_member_pii"]
        )
    wide = make_role("wide", "all", perms=["members.view_member_pii"])
    with pytest.raises(RbacPermissionDenied):
        services.department_update(actor=editor, department=tree["ops"], default_roles=[wide])
    assert not fresh(editor).has_perm("members.view_member_pii")
    # renaming one's own role, or editing roles one does not hold, stays possible
    services.role_update(actor=editor, role=editor_role, name="Role editors")
    services.role_update(actor=editor, role=wide, permissions=["rbac.view_role"])
    services.department_update(actor=editor, department=tree["finance"], default_roles=[wide])
