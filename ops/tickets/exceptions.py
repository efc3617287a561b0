"""Errors of customer service (stable codes; the API renders them in its error shape)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound


class TicketNotFound(NotFound):
    code = "not_found"
    default_message = _("No ticket has this number.")


class TicketPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to do this.")


class TicketInvalid(ApplicationError):
    """Bad input (a field named in ``fields``): 400."""

    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The ticket could not be saved.")


class TicketStateConflict(ApplicationError):
    """The step is not possible in the ticket's current state (rated twice, escalated twice)."""

    code = "ticket_state_conflict"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This is not possible in the ticket's current state.")


class TicketHeldByOther(TicketStateConflict):
    """ "Assign to me" on a ticket another agent holds, without ``tickets.assign_ticket``."""

    code = "ticket_held_by_other"
    default_message = _("Another agent is handling this ticket; a supervisor can hand it over.")
