"""Workbench tiles of promotions (running campaigns and sessions); see docs/PROMOTIONS.md.

* 进行中的活动 — how many campaigns and flash-sale sessions are running, linking to the
  campaign results list (filtered to running ones);
* a panel with one row per running campaign / session: its live figures (orders and
  GMV of the orders in the reader's data scope, ``orders.promotions.results``) and a
  link to its live page.

Shown only to readers with ``orders.view_promotion_results``; nothing shows while no
promotion runs (a tile of 0 is shown, the panel says so).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ops.workbench import Panel, PanelRow, Tile, register

from .promotions import results

_PANEL_ROWS = 6


def running_promotions_count(*, actor) -> int:
    """Running campaigns and flash-sale sessions (promotions are national)."""
    return (
        results.running_campaigns(actor=actor).count()
        + results.running_sessions(actor=actor).count()
    )


def _money(value) -> str:
    return "¥" + formats.number_format(value, 2, force_grouping=True)


def running_promotion_rows(*, actor) -> list[PanelRow]:
    """One row per running promotion (the ones ending first), with its live figures."""
    rows = []
    promotions = [
        ("campaign", promotion)
        for promotion in results.running_campaigns(actor=actor)[:_PANEL_ROWS]
    ] + [
        ("session", promotion) for promotion in results.running_sessions(actor=actor)[:_PANEL_ROWS]
    ]
    promotions.sort(key=lambda pair: (pair[1].ends_at, pair[0], pair[1].pk))
    for kind, promotion in promotions[:_PANEL_ROWS]:
        figures = results.promotion_figures(actor=actor, promotion=promotion)
        url_name = (
            "admin:orders_campaignresult_change"
            if kind == "campaign"
            else "admin:orders_flashsessionresult_change"
        )
        kind_label = gettext("Campaign") if kind == "campaign" else gettext("Flash-sale session")
        rows.append(
            PanelRow(
                label=f"{kind_label} · {promotion.name}",
                link=reverse(url_name, args=[promotion.pk]),
                meta=gettext("%(orders)s orders · GMV %(gmv)s · until %(end)s")
                % {
                    "orders": figures.orders,
                    "gmv": _money(figures.gmv),
                    "end": formats.date_format(promotion.ends_at, "SHORT_DATETIME_FORMAT"),
                },
            )
        )
    return rows


register(
    Tile(
        key="orders.promotions_running",
        title=_("Promotions running"),
        hint=_("campaigns and flash-sale sessions running now"),
        icon="campaign",
        count=lambda actor: running_promotions_count(actor=actor),
        link=lambda actor: (
            reverse("admin:orders_campaignresult_changelist") + "?status__exact=running"
        ),
        visible=lambda actor: results.may_view_results(actor=actor),
        tone=lambda actor: "success" if running_promotions_count(actor=actor) else "info",
        order=30,
    )
)

register(
    Panel(
        key="orders.promotions_live",
        title=_("Promotions running: live figures"),
        rows=lambda actor: running_promotion_rows(actor=actor),
        link=lambda actor: (
            reverse("admin:orders_campaignresult_changelist") + "?status__exact=running"
        ),
        visible=lambda actor: results.may_view_results(actor=actor),
        empty=_("No campaign or session is running."),
        order=30,
    )
)
