"""Errors of the risk app (stable codes; the API renders them in its error shape)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound
from mall.core.guard import RiskBlocked, RiskRateLimited  # noqa: F401 - one place to import


class RiskPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to do this.")


class InvalidRiskInput(ApplicationError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The request is not valid.")


class RiskStateConflict(ApplicationError):
    code = "invalid_state"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This is not possible in the current state.")


class CaseNotFound(NotFound):
    code = "not_found"
    default_message = _("No risk case has this number.")


class FreezeNotFound(NotFound):
    code = "not_found"
    default_message = _("No fund freeze has this number.")


class MarkNotFound(NotFound):
    code = "not_found"
    default_message = _("No risk mark has this id.")


class BlacklistEntryNotFound(NotFound):
    code = "not_found"
    default_message = _("No blacklist entry has this id.")
