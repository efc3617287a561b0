"""Permission requests: two different approvers (department head + tech lead)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ops.models import AuditEntry
from rbac import selectors, services, tasks
from rbac.exceptions import (
    ApproverAlreadyApproved,
    CannotApproveOwnRequest,
    DuplicateRequest,
    NotAnApprover,
    ReasonRequired,
    RequestExpired,
    RequestNotPending,
    RoleDepartmentMismatch,
)
from rbac.models import PermissionRequest, RoleAssignment

from .conftest import fresh


def _ask(people, **kwargs):
    return services.permission_request_create(
        actor=people["requester"], role=people["role"], reason="month-end close", **kwargs
    )


def test_the_role_is_granted_only_after_the_head_and_a_tech_lead_approve(people):
    request = _ask(people)
    services.permission_request_approve(actor=people["head"], permission_request=request)
    request.refresh_from_db()
    assert request.status == "pending"
    assert not fresh(people["requester"]).has_perm("rbac.view_staffprofile")
    services.permission_request_approve(actor=people["tech"], permission_request=request)
    request.refresh_from_db()
    assert request.status == "approved"
    assert request.head_approver == people["head"]
    assert request.tech_approver == people["tech"]
    assert fresh(people["requester"]).has_perm("rbac.view_staffprofile")
    assignment = RoleAssignment.objects.get(user=people["requester"], role=people["role"])
    assert assignment.source == "request"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"rbac.permission_request_create", "rbac.permission_request_approve"} <= actions


def test_the_requester_may_not_approve_their_own_request(system, people):
    services.role_assign(actor=system, user=people["requester"], role=people["approver_role"])
    request = _ask(people)
    with pytest.raises(CannotApproveOwnRequest):
        services.permission_request_approve(
            actor=fresh(people["requester"]), permission_request=request
        )
    with pytest.raises(CannotApproveOwnRequest):
        services.permission_request_reject(
            actor=fresh(people["requester"]), permission_request=request, reason="no"
        )


def test_the_same_person_cannot_give_both_approvals(system, people):
    # the head is also a tech lead: they fill one slot, never both
    services.role_assign(actor=system, user=people["head"], role=people["approver_role"])
    head = fresh(people["head"])
    request = _ask(people)
    services.permission_request_approve(actor=head, permission_request=request)
    with pytest.raises(ApproverAlreadyApproved):
        services.permission_request_approve(actor=fresh(head), permission_request=request)
    request.refresh_from_db()
    assert request.status == "pending"
    assert request.tech_approver is None


def test_the_head_of_another_department_is_not_an_approver(people):
    request = _ask(people)
    with pytest.raises(NotAnApprover):
        services.permission_request_approve(actor=people["other_head"], permission_request=request)
    with pytest.raises(NotAnApprover):
        services.permission_request_reject(
            actor=people["other_head"], permission_request=request, reason="no"
        )


def test_two_tech_leads_do_not_replace_the_department_head(system, tree, make_user, people):
    second = make_user("tech2", tree["root"])
    services.role_assign(actor=system, user=second, role=people["approver_role"])
    request = _ask(people)
    services.permission_request_approve(actor=people["tech"], permission_request=request)
    with pytest.raises(NotAnApprover):
        services.permission_request_approve(actor=fresh(second), permission_request=request)
    request.refresh_from_db()
    assert request.status == "pending"


def test_rejection_needs_a_reason_and_ends_the_request(people):
    request = _ask(people)
    with pytest.raises(ReasonRequired):
        services.permission_request_reject(
            actor=people["head"], permission_request=request, reason=" "
        )
    services.permission_request_reject(
        actor=people["head"], permission_request=request, reason="not needed for the role"
    )
    request.refresh_from_db()
    assert request.status == "rejected"
    assert request.rejection_reason == "not needed for the role"
    with pytest.raises(RequestNotPending):
        services.permission_request_approve(actor=people["tech"], permission_request=request)
    assert not RoleAssignment.objects.filter(user=people["requester"]).exists()


def test_each_decision_is_one_audit_entry_with_the_status_before_and_after(people):
    approved = _ask(people)
    services.permission_request_approve(actor=people["head"], permission_request=approved)
    services.permission_request_approve(actor=people["tech"], permission_request=approved)
    rejected = services.permission_request_create(
        actor=people["requester"], role=people["approver_role"], reason="to help"
    )
    services.permission_request_reject(
        actor=people["tech"], permission_request=rejected, reason="not needed"
    )
    approvals = AuditEntry.objects.filter(
        action="rbac.permission_request_approve", object_id=str(approved.pk)
    ).order_by("pk")
    first, final = list(approvals)
    assert "status" not in (first.after or {})  # one approval changes no status
    assert (final.before["status"], final.after["status"]) == ("pending", "approved")
    assert final.after["tech_approver"] == people["tech"].pk
    assert final.data["capacity"] == "tech"
    rejection = AuditEntry.objects.get(
        action="rbac.permission_request_reject", object_id=str(rejected.pk)
    )
    assert (rejection.before["status"], rejection.after["status"]) == ("pending", "rejected")
    assert rejection.data["reason"] == "not needed"


def test_a_decided_request_never_moves_again(people):
    from mall.core.transitions import InvalidTransition, transition_check

    request = _ask(people)
    services.permission_request_cancel(actor=people["requester"], permission_request=request)
    request.refresh_from_db()
    for status in ("pending", "approved", "rejected"):
        with pytest.raises(InvalidTransition):
            transition_check(request, status)
    with pytest.raises(RequestNotPending):
        services.permission_request_cancel(actor=people["requester"], permission_request=request)


def test_a_duplicate_pending_request_is_refused(people):
    _ask(people)
    with pytest.raises(DuplicateRequest):
        _ask(people)


def test_a_restricted_role_cannot_be_requested_from_another_department(people, make_role, tree):
    restricted = make_role("finance-only", department=tree["finance"])
    with pytest.raises(RoleDepartmentMismatch):
        services.permission_request_create(
            actor=people["requester"], role=restricted, reason="please"
        )


def test_an_approved_grant_keeps_the_requested_expiry(people):
    until = timezone.now() + timedelta(days=7)
    request = _ask(people, grant_expires_at=until)
    services.permission_request_approve(actor=people["head"], permission_request=request)
    services.permission_request_approve(actor=people["tech"], permission_request=request)
    assignment = RoleAssignment.objects.get(user=people["requester"], role=people["role"])
    assert assignment.expires_at == until


def test_waiting_for_my_approval_lists_what_each_approver_still_has_to_do(people):
    request = _ask(people)
    assert list(selectors.permission_requests_awaiting(actor=people["head"])) == [request]
    assert list(selectors.permission_requests_awaiting(actor=people["tech"])) == [request]
    assert list(selectors.permission_requests_awaiting(actor=people["other_head"])) == []
    assert list(selectors.permission_requests_awaiting(actor=people["requester"])) == []
    services.permission_request_approve(actor=people["head"], permission_request=request)
    assert list(selectors.permission_requests_awaiting(actor=people["head"])) == []
    assert list(selectors.permission_requests_awaiting(actor=people["tech"])) == [request]


def test_the_admin_filter_shows_requests_waiting_for_me_and_approves_them(people):
    request = _ask(people)
    client = Client()
    client.force_login(people["head"])
    url = reverse("admin:rbac_permissionrequest_changelist")
    response = client.get(url, {"awaiting": "me"})
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [request.pk]
    client.post(url, {"action": "approve_selected", "_selected_action": [request.pk], "index": 0})
    request.refresh_from_db()
    assert request.head_approver == people["head"]


def test_the_api_runs_the_whole_request_flow(people, staff_client):
    url = reverse("rbac-permission-request-list")
    created = staff_client(people["requester"]).post(
        url, {"role": "wanted", "reason": "month-end close"}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    approve = reverse("rbac-permission-request-approve", args=[pk])
    own = staff_client(people["requester"]).post(approve, {}, format="json")
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "cannot_approve_own_request"
    assert staff_client(people["head"]).post(approve, {}, format="json").status_code == 200
    again = staff_client(people["head"]).post(approve, {}, format="json")
    assert again.status_code in (404, 409)
    done = staff_client(people["tech"]).post(approve, {}, format="json")
    assert done.json()["status"] == "approved"
    assert PermissionRequest.objects.get(pk=pk).status == "approved"


def test_bad_request_bodies_are_400_with_the_error_shape(people, staff_client):
    response = staff_client(people["requester"]).post(
        reverse("rbac-permission-request-list"), {"role": "no-such-role"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"role", "reason"}


# --- a requested end date that has passed --------------------------------------------------


def test_a_request_whose_grant_expiry_has_passed_cannot_be_approved_and_the_job_closes_it(
    people,
):
    request = services.permission_request_create(
        actor=people["requester"],
        role=people["role"],
        reason="stocktake",
        grant_expires_at=timezone.now() + timedelta(hours=2),
    )
    services.permission_request_approve(actor=people["head"], permission_request=request)
    PermissionRequest.objects.filter(pk=request.pk).update(
        grant_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(RequestExpired):
        services.permission_request_approve(actor=people["tech"], permission_request=request)
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.PENDING
    assert not fresh(people["requester"]).has_perm("rbac.view_staffprofile")
    tasks.role_assignments_expire_task.apply().get()
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.CANCELLED
    assert AuditEntry.objects.filter(
        action="rbac.permission_request_expire", object_id=str(request.pk)
    ).exists()


def test_approving_an_expired_request_over_the_api_is_a_409(people, staff_client):
    request = services.permission_request_create(
        actor=people["requester"],
        role=people["role"],
        reason="stocktake",
        grant_expires_at=timezone.now() + timedelta(hours=2),
    )
    PermissionRequest.objects.filter(pk=request.pk).update(
        grant_expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = staff_client(people["head"]).post(
        f"/api/v1/rbac/permission-requests/{request.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "request_expired"
