"""Errors of monitoring (stable codes; the API renders them in its error shape)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound


class MonitoringPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to do this.")


class InvalidMonitoringInput(ApplicationError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The request is not valid.")


class IncidentStateConflict(ApplicationError):
    code = "invalid_state"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This is not possible in the incident's current status.")


class IncidentNotFound(NotFound):
    code = "not_found"
    default_message = _("No incident has this number.")


class AnnouncementNotFound(NotFound):
    code = "not_found"
    default_message = _("No announcement has this id.")
