"""Customer-service tickets in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

``declare_scope(Ticket, region="region", owner="assignee")``: customer service (scope
"all") sees every ticket, a regional user their region's, a "self" user the tickets
assigned to them. Each matrix row is a ticket opened by a member of the row's region
(no order: the ticket takes the member's region) and assigned to the row's owner.
"""

from __future__ import annotations

from tests.rbac.matrix_cases import ScopeCase


def _make_ticket(*, region, department, owner, grant_target):
    from ops.tickets.models import Ticket
    from ops.tickets.services.tickets import ticket_create
    from tests.members.scope_cases import _member_in

    member = _member_in(region)
    ticket = ticket_create(
        actor=member, member=member, category="order", subject="矩阵工单", body="矩阵"
    )
    # the row's owner is its assignee (set directly: the owner need not hold the
    # permission to handle tickets, which the assign service would require)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=owner)
    ticket.refresh_from_db()
    return ticket


def _closed(row) -> bool:
    row.refresh_from_db()
    return row.status == "closed"


CASES: list[ScopeCase] = [
    ScopeCase(
        id="tickets.ticket",
        model="tickets.Ticket",
        make_row=_make_ticket,
        permissions=("tickets.view_ticket", "tickets.change_ticket"),
        admin_changelist="admin:tickets_ticket_changelist",
        admin_change="admin:tickets_ticket_change",
        api_list="ticket-list",
        api_detail="ticket-detail",
        api_lookup=lambda row: {"ticket_no": row.ticket_no},
        api_key=lambda item: item["ticket_no"],
        row_key=lambda row: row.ticket_no,
        api_action="ticket-close",
        api_action_body={"reason": "矩阵关闭"},
        was_touched=_closed,
    ),
]
