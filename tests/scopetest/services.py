"""Test-app services: writes go through here like in every real app."""

from __future__ import annotations

from django.db import transaction

from mall.core.audit import audit
from mall.core.exceptions import PermissionDeniedError

from .models import RegionOnlyTicket, Ticket


@transaction.atomic
def ticket_close(*, actor, ticket: Ticket | RegionOnlyTicket) -> None:
    """Close a ticket (needs ``scopetest.close_ticket``)."""
    if not actor.has_perm("scopetest.close_ticket"):
        raise PermissionDeniedError()
    type(ticket).objects.filter(pk=ticket.pk).update(is_closed=True)
    audit(actor=actor, action="scopetest.ticket_close", target=ticket)
