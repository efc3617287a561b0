"""Test-app services: writes go through here like in every real app."""

from __future__ import annotations

from django.db import transaction

from mall.core.audit import audit
from mall.core.exceptions import ApplicationError, PermissionDeniedError

from .models import RegionOnlyTicket, Ticket


@transaction.atomic
def ticket_close(*, actor, ticket: Ticket | RegionOnlyTicket) -> Ticket | RegionOnlyTicket:
    """Close a ticket (needs ``scopetest.close_ticket``)."""
    if not actor.has_perm("scopetest.close_ticket"):
        raise PermissionDeniedError()
    ticket.is_closed = True
    ticket.save(update_fields=["is_closed"])
    audit(actor=actor, action="scopetest.ticket_close", target=ticket)
    return ticket


@transaction.atomic
def ticket_reopen(*, actor, ticket: Ticket, reason: str) -> Ticket:
    """Reopen a closed ticket with a reason; a reason saying "refuse" is refused."""
    ticket.is_closed = False
    ticket.save(update_fields=["is_closed"])
    audit(actor=actor, action="scopetest.ticket_reopen", target=ticket, data={"reason": reason})
    if "refuse" in reason:
        raise ApplicationError("Refused by the service.")
    return ticket
