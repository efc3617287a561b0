"""System parameter change requests: request → business owner + tech lead → applied.

Rules (DESIGN.md §4 "System parameters"):

* anyone holding ``ops.add_parameterchangerequest`` may ask for a change; the new
  value is validated by the parameter's own rules (type, minimum, maximum) and the
  current value is recorded; one pending request per parameter at a time;
* a **business owner** approves with ``ops.approve_parameter_change`` and a **tech
  lead** with ``ops.approve_parameter_change_tech`` — two different people, neither
  of them the requester;
* the approvers (both roles, not the requester) get an inbox notice about the request
  (``subject=request``); it is resolved when the request is applied, rejected or
  withdrawn;
* the second approval applies the change in the same transaction (the
  ``SystemParameter`` row is upserted, the cached value forgotten after commit) and
  audits it with the value before and after; the request row is locked while it is
  approved, so two racing approvals apply the change once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from mall.core.audit import audit, snapshot
from mall.core.transitions import register_transitions, transition

from ..exceptions import (
    OpsPermissionDenied,
    ParameterApprovalRefused,
    ParameterChangeConflict,
    ParameterChangeNotPending,
    ParameterUnknown,
    ParameterValueInvalid,
)
from ..models import ParameterChangeRequest, SystemParameter
from ..parameters import ParameterSpec, forget_cached, get_parameter, parameter_spec
from .notifications import notifications_resolve, staff_notify

REQUEST_PERMISSION = "ops.add_parameterchangerequest"
BUSINESS_PERMISSION = "ops.approve_parameter_change"
TECH_PERMISSION = "ops.approve_parameter_change_tech"
ROLE_PERMISSIONS = {"business": BUSINESS_PERMISSION, "tech": TECH_PERMISSION}

Status = ParameterChangeRequest.Status
WAITING_KIND = "ops.parameter_change_waiting"

PARAMETER_CHANGE_TRANSITIONS = register_transitions(
    ParameterChangeRequest,
    {
        Status.PENDING: {Status.APPLIED, Status.REJECTED, Status.WITHDRAWN},
        Status.APPLIED: set(),
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    },
)


def _spec(key: str) -> ParameterSpec:
    try:
        return parameter_spec(key)
    except KeyError:
        message = gettext("Unknown parameter %(key)s.") % {"key": key}
        raise ParameterUnknown(message, fields={"key": [message]}) from None


def _validated(spec: ParameterSpec, raw: Any) -> Any:
    """Return ``raw`` coerced by the spec's rules, or raise ``ParameterValueInvalid``."""
    if raw is None or (isinstance(raw, str) and not raw.strip() and spec.kind != "str"):
        problem = gettext("A value is required.")
    elif isinstance(raw, dict):
        problem = gettext("Enter a single value, not an object.")
    else:
        try:
            return spec.coerce(raw)
        except (ValueError, TypeError, ArithmeticError) as exc:
            problem = _describe(spec, exc)
    raise ParameterValueInvalid(
        gettext("Invalid value for %(key)s: %(problem)s") % {"key": spec.key, "problem": problem},
        fields={"new_value": [problem]},
    )


def _describe(spec: ParameterSpec, exc: Exception) -> str:
    text = str(exc)
    if "at least" in text:
        return gettext("must be at least %(minimum)s") % {"minimum": spec.minimum}
    if "at most" in text:
        return gettext("must be at most %(maximum)s") % {"maximum": spec.maximum}
    expected = {
        "int": gettext("a whole number"),
        "decimal": gettext("a number"),
        "bool": gettext("yes or no"),
        "list": gettext("a list"),
        "str": gettext("text"),
    }[spec.kind]
    return gettext("expected %(expected)s") % {"expected": expected}


def parameter_change_check(*, actor, key: str, new_value: Any, reason: str) -> tuple[Any, Any]:
    """Check a change request without writing; return (current value, new typed value).

    The rules of :func:`parameter_change_request` (the admin form runs this to show
    errors on its fields). Raises the same errors.
    """
    if not actor.has_perm(REQUEST_PERMISSION):
        raise OpsPermissionDenied()
    spec = _spec(key)
    value = _validated(spec, new_value)
    if not (reason or "").strip():
        message = gettext("A reason is required.")
        raise ParameterValueInvalid(message, fields={"reason": [message]})
    current = get_parameter(key)
    if value == current:
        message = gettext("The new value is the value already in force.")
        raise ParameterValueInvalid(message, fields={"new_value": [message]})
    if ParameterChangeRequest.objects.filter(key=key, status=Status.PENDING).exists():
        raise ParameterChangeConflict(
            fields={"key": [str(ParameterChangeConflict.default_message)]}
        )
    return current, value


def parameter_change_request(
    *, actor, key: str, new_value: Any, reason: str
) -> ParameterChangeRequest:
    """Ask for ``key`` to become ``new_value``; return the pending request.

    Raises ``OpsPermissionDenied`` (no ``ops.add_parameterchangerequest``),
    ``ParameterUnknown``, ``ParameterValueInvalid`` (type/range, empty reason, or the
    value already in force) and ``ParameterChangeConflict`` (a request for this
    parameter is already pending). Audited as ``parameter.change_request``.
    """
    with transaction.atomic():
        current, value = parameter_change_check(
            actor=actor, key=key, new_value=new_value, reason=reason
        )
        spec = parameter_spec(key)
        try:
            with transaction.atomic():
                request = ParameterChangeRequest.objects.create(
                    key=key,
                    old_value=spec.to_json(current),
                    new_value=spec.to_json(value),
                    reason=reason.strip(),
                    requested_by=actor,
                )
        except IntegrityError:
            raise ParameterChangeConflict() from None
        audit(
            actor=actor,
            action="parameter.change_request",
            target=request,
            after=snapshot(request),
            data={"key": key, "old_value": request.old_value, "new_value": request.new_value},
        )
        staff_notify(
            actor=actor,
            recipients=_approvers(exclude=actor.pk),
            kind=WAITING_KIND,
            title=gettext("Parameter change waiting for approval: %(name)s")
            % {"name": spec.description},
            body=request.reason,
            link=_request_link(request),
            subject=request,
        )
    return request


def _approvers(*, exclude: int) -> list[int]:
    """Active staff who may approve parameter changes in either role (not ``exclude``)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    condition = Q(is_superuser=True)
    for permission in ROLE_PERMISSIONS.values():
        app_label, _dot, codename = permission.partition(".")
        condition |= Q(
            user_permissions__codename=codename,
            user_permissions__content_type__app_label=app_label,
        ) | Q(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
    holders = get_user_model().objects.filter(condition, is_active=True, is_staff=True)
    return [pk for pk in holders.values_list("pk", flat=True).distinct() if pk != exclude]


def _request_link(request: ParameterChangeRequest) -> str:
    from django.urls import reverse

    return reverse("admin:ops_parameterchangerequest_change", args=[request.pk])


def _close_notices(*, actor, request: ParameterChangeRequest) -> None:
    """The request is decided or withdrawn: its notices leave every inbox's open work."""
    notifications_resolve(actor=actor, subject=request, kinds=[WAITING_KIND])


def _lock_pending(request: ParameterChangeRequest) -> ParameterChangeRequest:
    locked = ParameterChangeRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != Status.PENDING:
        raise ParameterChangeNotPending()
    return locked


def _apply(*, actor, request: ParameterChangeRequest, now: datetime) -> None:
    spec = _spec(request.key)
    value = _validated(spec, request.new_value)  # rules may have tightened since the request
    previous = SystemParameter.objects.select_for_update().filter(key=request.key).first()
    before_value = previous.value if previous is not None else spec.to_json(spec.default)
    row, _created = SystemParameter.objects.update_or_create(
        key=request.key, defaults={"value": spec.to_json(value), "updated_by": actor}
    )
    transition(
        request,
        Status.APPLIED,
        actor=actor,
        action="parameter.change_apply",
        data={"key": request.key},
        decided_at=now,
        decided_by=actor,
    )
    _close_notices(actor=actor, request=request)
    forget_cached(request.key)
    transaction.on_commit(lambda: forget_cached(request.key))
    audit(
        actor=actor,
        action="parameter.change",
        object_type="ops.systemparameter",
        object_id=request.key,
        before={"value": before_value},
        after={"value": row.value},
        data={
            "request": request.pk,
            "requested_by": request.requested_by_id,
            "business_approver": request.business_approver_id,
            "tech_approver": request.tech_approver_id,
        },
    )


def parameter_change_approve(
    *, actor, request: ParameterChangeRequest, as_role: str
) -> ParameterChangeRequest:
    """Approve ``request`` as business owner (``as_role="business"``) or tech lead (``"tech"``).

    Refused (``ParameterApprovalRefused``, 403) when the actor lacks the role's
    permission, requested the change, or already approved it in the other role;
    ``ParameterChangeConflict`` (409) when the role has already approved;
    ``ParameterChangeNotPending`` when decided. The approval that completes the pair
    applies the change (see the module docstring). Audited as ``parameter.change_approve``
    (and ``parameter.change`` when applied).
    """
    if as_role not in ROLE_PERMISSIONS:
        message = gettext("Choose business or tech.")
        raise ParameterValueInvalid(message, fields={"as_role": [message]})
    if not actor.has_perm(ROLE_PERMISSIONS[as_role]):
        raise ParameterApprovalRefused(
            gettext("You are not allowed to approve parameter changes in this role.")
        )
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_pending(request)
        before = snapshot(locked)
        if locked.requested_by_id == actor.pk:
            raise ParameterApprovalRefused(gettext("You cannot approve your own change request."))
        mine, other = (
            ("business_approver", "tech_approver")
            if as_role == "business"
            else ("tech_approver", "business_approver")
        )
        if getattr(locked, f"{mine}_id") is not None:
            raise ParameterChangeConflict(gettext("This role has already approved the request."))
        if getattr(locked, f"{other}_id") == actor.pk:
            raise ParameterApprovalRefused(
                gettext("The business owner and the tech lead must be two different people.")
            )
        setattr(locked, mine, actor)
        setattr(locked, f"{as_role}_approved_at", now)
        locked.save(update_fields=[mine, f"{as_role}_approved_at"])
        audit(
            actor=actor,
            action="parameter.change_approve",
            target=locked,
            before=before,
            after=snapshot(locked),
            data={"key": locked.key, "as_role": as_role},
        )
        if locked.business_approver_id and locked.tech_approver_id:
            _apply(actor=actor, request=locked, now=now)
        else:  # the approver's part is done: their notice leaves their open work
            notifications_resolve(
                actor=actor, subject=locked, kinds=[WAITING_KIND], recipients=[actor]
            )
    return locked


def parameter_change_reject(
    *, actor, request: ParameterChangeRequest, reason: str
) -> ParameterChangeRequest:
    """Reject a pending request with a reason (business owner or tech lead; never the requester).

    Raises ``ParameterApprovalRefused``, ``ParameterValueInvalid`` (empty reason),
    ``ParameterChangeNotPending``. Audited as ``parameter.change_reject``.
    """
    if not (actor.has_perm(BUSINESS_PERMISSION) or actor.has_perm(TECH_PERMISSION)):
        raise ParameterApprovalRefused(gettext("You are not allowed to reject parameter changes."))
    reason = (reason or "").strip()
    if not reason:
        message = gettext("A reason is required.")
        raise ParameterValueInvalid(message, fields={"reason": [message]})
    with transaction.atomic():
        locked = _lock_pending(request)
        if locked.requested_by_id == actor.pk:
            raise ParameterApprovalRefused(
                gettext("You cannot reject your own change request; withdraw it instead.")
            )
        transition(
            locked,
            Status.REJECTED,
            actor=actor,
            action="parameter.change_reject",
            reason=reason,
            data={"key": locked.key},
            rejection_reason=reason,
            decided_at=timezone.now(),
            decided_by=actor,
        )
        _close_notices(actor=actor, request=locked)
    return locked


def parameter_change_withdraw(*, actor, request: ParameterChangeRequest) -> ParameterChangeRequest:
    """Withdraw one's own pending request. Audited as ``parameter.change_withdraw``."""
    with transaction.atomic():
        locked = _lock_pending(request)
        if locked.requested_by_id != actor.pk:
            raise ParameterApprovalRefused(gettext("Only the requester can withdraw a request."))
        transition(
            locked,
            Status.WITHDRAWN,
            actor=actor,
            action="parameter.change_withdraw",
            data={"key": locked.key},
            decided_at=timezone.now(),
            decided_by=actor,
        )
        _close_notices(actor=actor, request=locked)
    return locked
