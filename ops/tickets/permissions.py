"""Permission codenames of customer service (declared once; services and views read these)."""

from __future__ import annotations

VIEW_TICKET = "tickets.view_ticket"
ADD_TICKET = "tickets.add_ticket"  # staff entry of a ticket for a member
CHANGE_TICKET = "tickets.change_ticket"  # take, reply, note, resolve, close, reopen
ASSIGN_TICKET = "tickets.assign_ticket"  # hand a ticket to another agent
ESCALATE_TICKET = "tickets.escalate_ticket"
SUPERVISE_TICKET = "tickets.supervise_ticket"  # receives escalations and low ratings
