"""Expired grants are revoked by the hourly job; leavers lose everything at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from guardian.models import UserObjectPermission

from mall.core.models import JobRun, StaffToken
from mall.core.scoping import scope_queryset
from mall.core.services import token_create
from ops.models import AuditEntry
from rbac import selectors, services, tasks
from rbac.exceptions import RbacPermissionDenied, ReasonRequired, TextTooLong
from rbac.models import PermissionRequest, RoleAssignment, StaffProfile
from tests.scopetest.models import Site, Ticket

from .conftest import fresh


def test_the_hourly_job_revokes_expired_grants_and_keeps_the_rest(
    system, tree, make_user, make_role
):
    user = make_user("temp", tree["ops"])
    temporary = make_role("temporary", "all", perms=["rbac.view_role"])
    lasting = make_role("lasting", perms=["rbac.view_department"])
    services.role_assign(
        actor=system, user=user, role=temporary, expires_at=timezone.now() + timedelta(hours=1)
    )
    services.role_assign(actor=system, user=user, role=lasting)
    RoleAssignment.objects.filter(role=temporary).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.role_assignments_expire_task.apply().get() == 1
    user = fresh(user)
    assert not user.has_perm("rbac.view_role")
    assert user.has_perm("rbac.view_department")
    assert list(RoleAssignment.objects.filter(user=user).values_list("role__code", flat=True)) == [
        "lasting"
    ]
    entry = AuditEntry.objects.get(action="rbac.role_expire")
    assert entry.data["role"] == "temporary"
    assert JobRun.objects.filter(name="rbac.role_assignments_expire", status="succeeded").exists()
    assert tasks.role_assignments_expire_task.apply().get() == 0  # idempotent


def test_an_expired_role_no_longer_widens_the_data_scope(
    system, tree, regions, make_user, make_role
):
    user = make_user("temp", tree["ops"])
    Ticket.objects.create(title="north", region=regions["north"])
    role = make_role("north", "regions", region_codes=["north"])
    services.role_assign(
        actor=system, user=user, role=role, expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert scope_queryset(fresh(user), Ticket.objects.all()).count() == 1
    services.role_assignments_expire(actor=system, now=timezone.now() + timedelta(minutes=6))
    assert scope_queryset(fresh(user), Ticket.objects.all()).count() == 0


@pytest.fixture
def leaver(system, tree, make_user, make_role):
    user = make_user("leaver", tree["ops"])
    services.role_assign(actor=system, user=user, role=make_role("clerk", "granted_objects"))
    services.user_permission_add(actor=system, user=user, perm="rbac.view_role")
    site = Site.objects.create(code="WH-SH")
    services.object_permission_grant(actor=system, user=user, perm="scopetest.work_site", obj=site)
    token_create(actor=user, user=user, name="laptop")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session.create()
    other = SessionStore()
    other["_auth_user_id"] = "999999"
    other.create()
    return fresh(user)


def test_deactivating_a_leaver_removes_everything_at_once(system, leaver):
    removed = services.staff_deactivate(actor=system, user=leaver, reason="left the company")
    user = fresh(leaver)
    assert not user.is_active
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert not user.groups.exists()
    assert not user.user_permissions.exists()
    assert not UserObjectPermission.objects.filter(user=user).exists()
    assert not any(token.is_live for token in StaffToken.objects.filter(user=user))
    assert Session.objects.count() == 1  # only the other user's session survives
    profile = StaffProfile.objects.get(user=user)
    assert not profile.is_active
    assert profile.left_on == timezone.localdate()
    assert removed["roles"] == ["clerk"]
    assert removed["permissions"] == ["rbac.view_role"]
    assert removed["object_grants"] == 1
    assert removed["tokens"] == 1 and removed["sessions"] == 1
    entry = AuditEntry.objects.get(action="rbac.staff_deactivate")
    assert entry.data["reason"] == "left the company"


def test_deactivation_needs_a_reason_and_the_permission(tree, make_user, make_staff, leaver):
    with pytest.raises(ReasonRequired):
        services.staff_deactivate(
            actor=make_staff("hr", perms=("rbac.deactivate_staff",)), user=leaver, reason=""
        )
    with pytest.raises(RbacPermissionDenied):
        services.staff_deactivate(actor=make_staff("nobody"), user=leaver, reason="gone")
    assert fresh(leaver).is_active


def test_a_deactivation_reason_longer_than_its_column_is_refused_not_cut(system, leaver):
    with pytest.raises(TextTooLong) as refused:
        services.staff_deactivate(actor=system, user=leaver, reason="x" * 501)
    assert "reason" in refused.value.fields
    assert fresh(leaver).is_active
    services.staff_deactivate(actor=system, user=leaver, reason="x" * 500)
    assert StaffProfile.objects.get(user=leaver).deactivation_reason == "x" * 500


def test_a_deactivated_users_token_no_longer_authenticates(system, leaver, api_client):
    _token, key = token_create(actor=leaver, user=leaver)
    assert api_client.get("/api/v1/rbac/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    services.staff_deactivate(actor=system, user=leaver, reason="left")
    response = api_client.get("/api/v1/rbac/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


def test_a_deactivated_head_no_longer_heads_the_department(system, tree, make_user):
    head = make_user("head", tree["ops"])
    services.department_update(actor=system, department=tree["ops"], head=head)
    services.staff_deactivate(actor=system, user=head, reason="retired")
    tree["ops"].refresh_from_db()
    assert tree["ops"].head is None
    assert get_user_model().objects.get(pk=head.pk).is_active is False


# --- a leaver's requests and approvals -----------------------------------------------------


def test_deactivating_a_leaver_closes_their_pending_requests(system, people):
    request = services.permission_request_create(
        actor=people["requester"], role=people["role"], reason="month-end close"
    )
    services.staff_deactivate(actor=system, user=people["requester"], reason="left")
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.CANCELLED
    assert not selectors.permission_requests_awaiting(actor=people["head"]).exists()
    assert AuditEntry.objects.filter(
        action="rbac.permission_request_cancel", object_id=str(request.pk)
    ).exists()


def test_a_leavers_half_approval_is_withdrawn_so_a_current_head_must_approve(system, people):
    request = services.permission_request_create(
        actor=people["requester"], role=people["role"], reason="month-end close"
    )
    services.permission_request_approve(actor=people["head"], permission_request=request)
    services.staff_deactivate(actor=system, user=people["head"], reason="left")
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.PENDING
    assert request.head_approver_id is None
    services.permission_request_approve(actor=people["tech"], permission_request=request)
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.PENDING  # still needs a head
    assert not fresh(people["requester"]).has_perm("rbac.view_staffprofile")
    assert AuditEntry.objects.filter(
        action="rbac.permission_request_approval_withdrawn", object_id=str(request.pk)
    ).exists()
