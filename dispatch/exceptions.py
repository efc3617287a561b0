"""Domain errors of the dispatch centre, each with a stable code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound


class DispatchError(ApplicationError):
    code = "dispatch_error"
    status_code = status.HTTP_400_BAD_REQUEST


class OutOfStock(DispatchError):
    """Not enough sellable stock in the warehouses covering the address."""

    code = "out_of_stock"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Not enough stock for this order.")


class InsufficientStock(DispatchError):
    """A stock operation would take a figure below zero or below what is reserved."""

    code = "insufficient_stock"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The warehouse does not hold enough stock for this operation.")


class NotDeliverable(DispatchError):
    """No active warehouse covers the delivery province."""

    code = "not_deliverable"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("No warehouse delivers to this province.")


class InvalidStateTransition(DispatchError):
    code = "invalid_state"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This document cannot do that in its current state.")


class InvalidDispatchInput(DispatchError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("Invalid input.")


class DispatchPermissionDenied(DispatchError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to perform this action.")


class DispatchNotFound(NotFound, DispatchError):
    """Missing or outside the caller's data scope (the same answer for both)."""

    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("Not found.")
