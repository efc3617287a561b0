"""The complaint analysis as screens show it (changelist summary, workbench chart), built
on the scoped :func:`ops.tickets.selectors.ticket_analysis`: labels in Chinese, never
codes."""

from __future__ import annotations

from django.utils import formats

from ops.sla_kinds import registered_sla_kinds

from . import selectors
from .models import Ticket

CATEGORY_LABELS = dict(Ticket.Category.choices)


def analysis_rows(*, actor, days: int = 30) -> dict | None:
    """What the ticket list shows above the rows: the last ``days`` days of the reader's
    tickets by classification, the average satisfaction and the share of SLA clocks met."""
    if not actor.has_perm("tickets.view_ticket"):
        return None
    found = selectors.ticket_analysis(actor=actor, days=days)
    counts = {row["category"]: row for row in found.by_category}
    kinds = registered_sla_kinds()
    return {
        "days": days,
        "categories": [
            {
                "label": str(label),
                "tickets": counts.get(code, {}).get("tickets", 0),
                "complaints": counts.get(code, {}).get("complaints", 0),
            }
            for code, label in Ticket.Category.choices
        ],
        "total": sum(row["tickets"] for row in found.by_category),
        "complaints": sum(row["complaints"] for row in found.by_category),
        "rated": found.rated,
        "average_rating": (
            formats.number_format(found.average_rating, 2)
            if found.average_rating is not None
            else "—"
        ),
        "sla": [
            {
                "label": str(kinds[kind].label) if kind in kinds else kind,
                "met": figures["met"],
                "breached": figures["breached"],
                "percent": (
                    f"{formats.number_format(figures['met_percent'], 1)}%"
                    if figures["met_percent"] is not None
                    else "—"
                ),
            }
            for kind, figures in found.sla.items()
        ],
    }
