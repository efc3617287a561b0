"""Domain errors of ops, each with a stable ``code``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError


class ParameterUnknown(ApplicationError):
    code = "parameter_unknown"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("There is no system parameter with this key.")


class ParameterValueInvalid(ApplicationError):
    code = "parameter_value_invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The value is not valid for this parameter.")


class ParameterChangeNotPending(ApplicationError):
    code = "parameter_change_not_pending"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This change request has already been decided.")


class ParameterChangeConflict(ApplicationError):
    code = "parameter_change_conflict"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("A change request for this parameter is already pending.")


class ParameterApprovalRefused(ApplicationError):
    code = "parameter_approval_refused"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You may not approve this change request.")


class SlaKindUnknown(ApplicationError):
    code = "sla_kind_unknown"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("There is no SLA clock kind with this name.")


class SlaClockClosed(ApplicationError):
    code = "sla_clock_closed"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This SLA clock is no longer running.")


class SlaExtensionInvalid(ApplicationError):
    code = "sla_extension_invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The extension is not valid.")


class OpsPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to perform this action.")


class NotificationNotYours(ApplicationError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("Not found.")
