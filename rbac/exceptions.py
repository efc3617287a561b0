"""RBAC domain errors with stable codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound


class RbacError(ApplicationError):
    code = "rbac_error"


class RbacPermissionDenied(RbacError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to perform this action.")


class RoleDepartmentMismatch(RbacError):
    code = "role_department_mismatch"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This role is restricted to another department.")


class StaffInactive(RbacError):
    code = "staff_inactive"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The staff account is not active.")


class InvalidRoleConfiguration(RbacError):
    code = "invalid_role"
    default_message = _("The role configuration is invalid.")


class InvalidLanguage(RbacError):
    code = "invalid_language"
    default_message = _("Choose one of the languages offered.")


class UnknownPermission(RbacError):
    code = "unknown_permission"
    default_message = _("Unknown permission.")


class DuplicateRequest(RbacError):
    code = "duplicate_request"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("A request for this role is already pending or the role is held.")


class RequestNotPending(RbacError):
    code = "request_not_pending"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The request has already been decided.")


class RequestExpired(RbacError):
    code = "request_expired"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The requested grant would already have expired; ask again.")


class CannotApproveOwnRequest(RbacError):
    code = "cannot_approve_own_request"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("Nobody may approve or reject their own request.")


class NotAnApprover(RbacError):
    code = "not_an_approver"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _(
        "Only the requester's department head or a tech lead may decide this request."
    )


class ApproverAlreadyApproved(RbacError):
    code = "approver_already_approved"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The two approvals must come from two different people.")


class InvalidDepartmentTree(RbacError):
    code = "invalid_department_tree"
    default_message = _("A department cannot be placed under itself or its sub-departments.")


class ReasonRequired(RbacError):
    code = "reason_required"
    default_message = _("A reason is required.")


class TextTooLong(RbacError):
    code = "text_too_long"
    default_message = _("The text is too long.")


# Not found: a row outside the reader's data scope answers exactly like a missing one,
# with the generic ``not_found`` code every client already handles.


class SalesRegionNotFound(NotFound):
    pass


class ProvinceNotFound(NotFound):
    pass


class DepartmentNotFound(NotFound):
    pass


class RoleNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class StaffProfileNotFound(NotFound):
    pass


class RoleAssignmentNotFound(NotFound):
    pass


class PermissionRequestNotFound(NotFound):
    pass


class AccessReviewNotFound(NotFound):
    pass


class SuperuserProtected(RbacError):
    """Only a superuser may deactivate, demote or edit a superuser."""

    code = "superuser_protected"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("Only a superuser may change a superuser's account.")


class LastSuperuser(RbacError):
    """The last active superuser may not be deactivated or demoted."""

    code = "last_superuser"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This is the last active superuser: it cannot be deactivated or demoted.")
