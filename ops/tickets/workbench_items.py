"""Customer service on the workbench (工作台).

* 待分配工单 — new tickets nobody took, in the reader's scope;
* 我的处理中工单 — tickets assigned to the reader, not resolved yet;
* 首次响应超时 — tickets past their first-reply deadline (red when any);
* 处理中的投诉 — complaints not resolved yet;
* chart 近 30 天工单分类 — tickets and complaints by classification.

Every figure reads through ``ops.tickets.selectors`` (scoped); each item shows only to
readers holding ``tickets.view_ticket``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from ops.workbench import Chart, ChartData, Tile, register

from . import permissions as perms
from . import selectors
from .models import Ticket


def _list(query: dict) -> str:
    return f"{reverse('admin:tickets_ticket_changelist')}?{urlencode(query)}"


def _may(actor) -> bool:
    return actor.has_perm(perms.VIEW_TICKET)


def categories_chart(actor) -> ChartData:
    """Tickets and complaints of the last 30 days by classification (reader's scope)."""
    found = selectors.ticket_analysis(actor=actor, days=30)
    counts = {row["category"]: row for row in found.by_category}
    codes = [code for code, _label in Ticket.Category.choices]
    return ChartData(
        labels=[str(label) for _code, label in Ticket.Category.choices],
        series=[
            (
                pgettext("ticket analysis", "Tickets"),
                [counts.get(code, {}).get("tickets", 0) for code in codes],
            ),
            (
                pgettext("ticket analysis", "Complaints"),
                [counts.get(code, {}).get("complaints", 0) for code in codes],
            ),
        ],
    )


register(
    Tile(
        key="tickets.unassigned",
        title=_("Unassigned tickets"),
        hint=_("new customer service tickets nobody has taken"),
        icon="support_agent",
        count=lambda actor: selectors.tickets_unassigned(actor=actor).count(),
        link=lambda actor: _list({"status__exact": "open", "assigned": "none"}),
        visible=_may,
        tone=lambda actor: (
            "warning" if selectors.tickets_unassigned(actor=actor).exists() else "success"
        ),
        order=40,
    )
)

register(
    Tile(
        key="tickets.mine_open",
        title=_("My open tickets"),
        hint=_("tickets assigned to you that are not resolved"),
        icon="assignment_ind",
        count=lambda actor: selectors.tickets_mine_open(actor=actor).count(),
        link=lambda actor: _list({"assigned": "mine", "state": "open"}),
        visible=_may,
        tone="info",
        order=41,
    )
)

register(
    Tile(
        key="tickets.first_response_late",
        title=_("First reply overdue"),
        hint=_("tickets past their first-reply deadline"),
        icon="alarm",
        count=lambda actor: selectors.tickets_first_response_late(actor=actor).count(),
        link=lambda actor: _list({"sla": "first_response_late"}),
        visible=_may,
        tone=lambda actor: (
            "danger" if selectors.tickets_first_response_late(actor=actor).exists() else "success"
        ),
        order=42,
    )
)

register(
    Tile(
        key="tickets.complaints_open",
        title=_("Open complaints"),
        hint=_("complaints that are not resolved"),
        icon="report",
        count=lambda actor: selectors.complaints_open(actor=actor).count(),
        link=lambda actor: _list({"kind__exact": "complaint", "state": "open"}),
        visible=_may,
        tone=lambda actor: "warning" if selectors.complaints_open(actor=actor).exists() else "info",
        order=43,
    )
)

register(
    Chart(
        key="tickets.categories",
        title=_("Tickets by classification (30 days)"),
        data=categories_chart,
        kind="bar",
        visible=_may,
        order=44,
    )
)
