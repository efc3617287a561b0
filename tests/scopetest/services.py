"""Test-app services: writes go through here like in every real app."""

from __future__ import annotations

from django.db import transaction

from mall.core.audit import audit
from mall.core.exceptions import PermissionDeniedError

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
