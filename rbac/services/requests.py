"""Permission requests: two different approvers, neither the requester.

A request's status moves only along :data:`PERMISSION_REQUEST_TRANSITIONS`, through
:func:`mall.core.transitions.transition` (which also writes the audit entry).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot
from mall.core.hooks import call_providers
from mall.core.transitions import register_transitions, transition

from .. import permissions as perms
from ..exceptions import (
    ApproverAlreadyApproved,
    CannotApproveOwnRequest,
    DuplicateRequest,
    InvalidRoleConfiguration,
    NotAnApprover,
    RbacPermissionDenied,
    ReasonRequired,
    RequestExpired,
    RequestNotPending,
    StaffInactive,
)
from ..models import (
    Department,
    PermissionRequest,
    Role,
    RoleAssignment,
)
from ._base import (
    _check_role_department,
    _profile,
)
from .departments import _department_head_for
from .roles import role_assign

Status = PermissionRequest.Status

# Hooks offered to the inbox (``ops`` provides them: rbac sits left of ops).
#
# ``REQUEST_OPENED``: called with ``actor`` (the requester), ``permission_request``
# and ``approver_ids`` (the user ids who may approve it — the requester's department
# head and the holders of ``rbac.approve_permission_request``, never the requester)
# inside the creating transaction; returns nothing. ``ops`` puts a notice with
# ``subject=permission_request`` into each approver's inbox.
#
# ``REQUEST_CLOSED``: called with ``actor`` and ``permission_request`` inside the
# transaction that approved, rejected, withdrew or expired it; returns nothing.
# ``ops`` resolves the request's open notices.
#
# ``REQUEST_APPROVED_ONCE``: called with ``actor`` (the first approver) and
# ``permission_request`` inside the transaction of a first approval; returns nothing.
# ``ops`` resolves that approver's own notice (the other approver's stays open).
REQUEST_OPENED = "rbac.permission_request_opened"
REQUEST_CLOSED = "rbac.permission_request_closed"
REQUEST_APPROVED_ONCE = "rbac.permission_request_approved_once"

PERMISSION_REQUEST_TRANSITIONS = register_transitions(
    PermissionRequest,
    {
        # approved once both approvals are in; rejected by an approver; cancelled by the
        # requester, by their deactivation, or by the hourly job once the asked-for
        # expiry has passed
        Status.PENDING: {Status.APPROVED, Status.REJECTED, Status.CANCELLED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
        Status.CANCELLED: set(),
    },
)


@transaction.atomic
def permission_request_create(
    *, actor, role: Role, reason: str, grant_expires_at: datetime | None = None
) -> PermissionRequest:
    """Ask for ``role`` for oneself; needs the department head's and a tech lead's approval."""
    if not (actor.is_active and actor.is_staff):
        raise StaffInactive()
    if not reason or not reason.strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    if grant_expires_at is not None and grant_expires_at <= timezone.now():
        raise InvalidRoleConfiguration(
            _("The expiry must lie in the future."),
            fields={"grant_expires_at": [_("In the past.")]},
        )
    if not role.is_active:
        raise InvalidRoleConfiguration(_("The role is not active."))
    _check_role_department(role, actor)
    pending = PermissionRequest.objects.filter(
        requester=actor, role=role, status=PermissionRequest.Status.PENDING
    )
    if pending.exists() or RoleAssignment.objects.filter(user=actor, role=role).exists():
        raise DuplicateRequest()
    request = PermissionRequest.objects.create(
        requester=actor, role=role, reason=reason.strip(), grant_expires_at=grant_expires_at
    )
    audit(
        actor=actor,
        action="rbac.permission_request_create",
        target=request,
        data={"role": role.code, "reason": request.reason},
    )
    call_providers(
        REQUEST_OPENED,
        actor=actor,
        permission_request=request,
        approver_ids=_approver_ids(request),
    )
    return request


def _approver_ids(request: PermissionRequest) -> list[int]:
    """Who may approve ``request``: the requester's department head and the tech leads."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    app_label, _dot, codename = perms.APPROVE_PERMISSION_REQUEST.partition(".")
    holders = get_user_model().objects.filter(
        Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
        | Q(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        ),
        is_active=True,
        is_staff=True,
    )
    ids = set(holders.values_list("pk", flat=True))
    head = _department_head_for(_requester_department(request))
    if head is not None:
        ids.add(head.pk)
    ids.discard(request.requester_id)
    return sorted(ids)


def _closed(*, actor, request: PermissionRequest) -> None:
    call_providers(REQUEST_CLOSED, actor=actor, permission_request=request)


def _requester_department(request: PermissionRequest) -> Department | None:
    profile = _profile(request.requester)
    return profile.department if profile else None


def _approval_capacities(request: PermissionRequest, user) -> set[str]:
    """In which capacities (``head``, ``tech``) may ``user`` still approve ``request``?"""
    if user.pk == request.requester_id or not (user.is_active and user.is_staff):
        return set()
    capacities: set[str] = set()
    head = _department_head_for(_requester_department(request))
    if request.head_approver_id is None and head is not None and head.pk == user.pk:
        capacities.add("head")
    if request.tech_approver_id is None and user.has_perm(perms.APPROVE_PERMISSION_REQUEST):
        capacities.add("tech")
    if user.pk in (request.head_approver_id, request.tech_approver_id):
        return set()
    return capacities


@transaction.atomic
def permission_request_approve(
    *, actor, permission_request: PermissionRequest, capacity: str | None = None
) -> PermissionRequest:
    """Approve as the requester's department head or as a tech lead.

    Two different people, neither the requester: the same person cannot fill both
    approvals. The role is assigned (with the requested expiry) once both are in.
    Raises ``CannotApproveOwnRequest``, ``ApproverAlreadyApproved``, ``NotAnApprover``,
    ``RequestNotPending``.
    """
    request = PermissionRequest.objects.select_for_update().get(pk=permission_request.pk)
    if request.status != PermissionRequest.Status.PENDING:
        raise RequestNotPending()
    if actor.pk == request.requester_id:
        raise CannotApproveOwnRequest()
    if actor.pk in (request.head_approver_id, request.tech_approver_id):
        raise ApproverAlreadyApproved()
    if request.grant_expires_at is not None and request.grant_expires_at <= timezone.now():
        raise RequestExpired()  # the hourly job closes it
    capacities = _approval_capacities(request, actor)
    if capacity is not None:
        capacities &= {capacity}
    if not capacities:
        raise NotAnApprover()
    now = timezone.now()
    chosen = "head" if "head" in capacities else "tech"
    approval = {f"{chosen}_approver": actor, f"{chosen}_approved_at": now}
    other_approved = request.tech_approver_id if chosen == "head" else request.head_approver_id
    if other_approved:
        role_assign(
            actor=actor,
            user=request.requester,
            role=request.role,
            expires_at=request.grant_expires_at,
            source=RoleAssignment.Source.REQUEST,
            _checked=True,
        )
        transition(
            request,
            Status.APPROVED,
            actor=actor,
            action="rbac.permission_request_approve",
            data={"capacity": chosen},
            decided_at=now,
            **approval,
        )
        _closed(actor=actor, request=request)
        return request
    before = snapshot(request, ["head_approver_id", "tech_approver_id"])
    for name, value in approval.items():
        setattr(request, name, value)
    request.save(update_fields=list(approval))
    audit(
        actor=actor,
        action="rbac.permission_request_approve",
        target=request,
        before=before,
        after=snapshot(request, ["head_approver_id", "tech_approver_id"]),
        data={"capacity": chosen},
    )
    call_providers(REQUEST_APPROVED_ONCE, actor=actor, permission_request=request)
    return request


@transaction.atomic
def permission_request_reject(
    *, actor, permission_request: PermissionRequest, reason: str
) -> PermissionRequest:
    """Reject with a reason; only an approver (head or tech lead), never the requester."""
    request = PermissionRequest.objects.select_for_update().get(pk=permission_request.pk)
    if request.status != PermissionRequest.Status.PENDING:
        raise RequestNotPending()
    if actor.pk == request.requester_id:
        raise CannotApproveOwnRequest()
    if not reason or not reason.strip():
        raise ReasonRequired(fields={"reason": [_("A reason is required.")]})
    head = _department_head_for(_requester_department(request))
    is_head = head is not None and head.pk == actor.pk
    if not (is_head or actor.has_perm(perms.APPROVE_PERMISSION_REQUEST)):
        raise NotAnApprover()
    transition(
        request,
        Status.REJECTED,
        actor=actor,
        action="rbac.permission_request_reject",
        reason=reason.strip(),
        decided_by=actor,
        decided_at=timezone.now(),
        rejection_reason=reason.strip(),
    )
    _closed(actor=actor, request=request)
    return request


@transaction.atomic
def permission_request_cancel(*, actor, permission_request: PermissionRequest) -> PermissionRequest:
    """The requester withdraws a pending request."""
    request = PermissionRequest.objects.select_for_update().get(pk=permission_request.pk)
    if request.requester_id != actor.pk:
        raise RbacPermissionDenied()
    if request.status != PermissionRequest.Status.PENDING:
        raise RequestNotPending()
    transition(
        request,
        Status.CANCELLED,
        actor=actor,
        action="rbac.permission_request_cancel",
        decided_at=timezone.now(),
    )
    _closed(actor=actor, request=request)
    return request


def permission_requests_close_for_leaver(*, actor, user, reason: str) -> int:
    """Withdraw a deactivated user's pending requests and their half-approvals.

    Runs inside ``staff_deactivate``. A pending request the leaver approved (as head or
    tech lead) loses that approval: a current approver has to give it again.
    """
    for capacity in ("head", "tech"):
        approved = PermissionRequest.objects.select_for_update().filter(
            status=PermissionRequest.Status.PENDING, **{f"{capacity}_approver": user}
        )
        for request in approved:
            request_before = snapshot(request, ["head_approver_id", "tech_approver_id"])
            setattr(request, f"{capacity}_approver", None)
            setattr(request, f"{capacity}_approved_at", None)
            request.save(update_fields=[f"{capacity}_approver", f"{capacity}_approved_at"])
            audit(
                actor=actor,
                action="rbac.permission_request_approval_withdrawn",
                target=request,
                before=request_before,
                after=snapshot(request, ["head_approver_id", "tech_approver_id"]),
                data={"capacity": capacity, "approver": user.get_username(), "reason": reason},
            )
    pending = list(
        PermissionRequest.objects.select_for_update().filter(
            requester=user, status=PermissionRequest.Status.PENDING
        )
    )
    now = timezone.now()
    for request in pending:
        transition(
            request,
            Status.CANCELLED,
            actor=actor,
            action="rbac.permission_request_cancel",
            reason=reason,
            data={"requester_deactivated": True},
            decided_at=now,
        )
        _closed(actor=actor, request=request)
    return len(pending)


@transaction.atomic
def permission_requests_expire(*, actor, now: datetime | None = None) -> int:
    """Close pending requests whose requested grant expiry has passed (hourly job)."""
    now = now or timezone.now()
    stale = list(
        PermissionRequest.objects.select_for_update().filter(
            status=PermissionRequest.Status.PENDING, grant_expires_at__lte=now
        )
    )
    for request in stale:
        transition(
            request,
            Status.CANCELLED,
            actor=actor,
            action="rbac.permission_request_expire",
            data={"grant_expires_at": request.grant_expires_at},
            decided_at=now,
        )
        _closed(actor=actor, request=request)
    return len(stale)
