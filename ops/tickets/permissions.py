"""Permission codenames of customer service (declared once; services and views read these)."""

from __future__ import annotations

VIEW_TICKET = "tickets.view_ticket"
ADD_TICKET = "tickets.add_ticket"  # staff entry of a ticket for a member
CHANGE_TICKET = "tickets.change_ticket"  # take, reply, note, resolve, close, reopen
ASSIGN_TICKET = "tickets.assign_ticket"  # hand a ticket to another agent
ESCALATE_TICKET = "tickets.escalate_ticket"
SUPERVISE_TICKET = "tickets.supervise_ticket"  # receives escalations and low ratings


def can_handle(user, ticket) -> bool:
    """True when ``user`` may be given ``ticket``: active staff holding
    ``tickets.change_ticket`` whose data scope includes the ticket (one rule for the
    assign service and the assign dropdown)."""
    from mall.core.scoping import scope_queryset

    return (
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm(CHANGE_TICKET)
        and scope_queryset(user, type(ticket).objects.filter(pk=ticket.pk)).exists()
    )
