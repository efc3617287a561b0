"""The status table of tickets (registered with the kernel's transitions).

open → assigned | in progress | waiting for member | resolved | closed; a member's reply
brings a waiting ticket back in progress; a resolved ticket is closed (by staff, the
member's silence or the daily job) or reopened; closed is final.
"""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import Ticket

S = Ticket.Status
TICKET_TRANSITIONS = register_transitions(
    Ticket,
    {
        S.OPEN: {S.ASSIGNED, S.IN_PROGRESS, S.WAITING_MEMBER, S.RESOLVED, S.CLOSED},
        S.ASSIGNED: {S.IN_PROGRESS, S.WAITING_MEMBER, S.RESOLVED, S.CLOSED},
        S.IN_PROGRESS: {S.WAITING_MEMBER, S.RESOLVED, S.CLOSED},
        S.WAITING_MEMBER: {S.IN_PROGRESS, S.RESOLVED, S.CLOSED},
        S.RESOLVED: {S.IN_PROGRESS, S.CLOSED},
        S.CLOSED: set(),
    },
)
