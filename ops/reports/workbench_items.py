"""Reports in the sidebar (数据报表 → 数据看板) and on the workbench.

* the dashboard page is a custom admin page: its sidebar entry is a navigation link,
  shown to readers with ``reports.view_dashboard``;
* 昨日 GMV — a tile with yesterday's GMV in the reader's scope, linking to the dashboard.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core.navigation import Link, register_link
from ops.workbench import Tile, register

from . import selectors
from .admin.dashboard import TITLE, URL_NAME, may_view_dashboard, show
from .permissions import VIEW_DASHBOARD

register_link(
    Link(
        "reports",
        TITLE,
        f"admin:{URL_NAME}",
        icon="monitoring",
        order=10,
        visible=may_view_dashboard,
    )
)


def _yesterday_gmv(actor) -> str:
    window = selectors.days_window(timezone.localdate() - timedelta(days=1), 1)
    figures = selectors.kpi_figures(actor=actor, window=window)
    return show(figures["gmv"], "money")


register(
    Tile(
        key="reports.gmv_yesterday",
        title=_("GMV yesterday"),
        hint=_("paid amount of yesterday's orders, brushed ones out"),
        icon="monitoring",
        count=_yesterday_gmv,
        link=lambda actor: reverse(f"admin:{URL_NAME}"),
        visible=lambda actor: actor.has_perm(VIEW_DASHBOARD),
        order=95,
    )
)
