"""The workbench (工作台): the admin index, what is waiting for the reader.

One registry: each app registers its tiles, lists and charts from its ``AppConfig.ready``
(``ops.workbench.register(Tile(...))``), so orders, payments and risk add theirs
without touching ops. Every callable takes ``actor`` and reads through the app's
scoped selectors: a tile counts only what the reader may see.

* :class:`Tile` — a number with a link ("待审核商品 3"): work waiting for the reader.
* :class:`Panel` — a short list of rows with links (the newest waiting items).
* :class:`Chart` — a bar/line chart of what exists today (Chart.js from the theme's
  static files, no CDN).

An item shows when ``visible(actor)`` is true (usually a permission check). A failing
item is logged and shown as "unavailable"; it never breaks the page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

TONES = ("info", "success", "warning", "danger")


@dataclass(frozen=True)
class Tile:
    key: str
    title: Any  # a lazy translated string
    count: Callable[..., int | None]  # (actor) -> how many are waiting
    link: Callable[..., str] | str = ""  # (actor) -> URL of the list behind the number
    visible: Callable[..., bool] = lambda actor: True
    hint: Any = ""
    icon: str = "pending_actions"
    # "danger" when anything is waiting that is late (breached clocks), else "info".
    tone: Callable[..., str] | str = "info"
    order: int = 100


@dataclass(frozen=True)
class PanelRow:
    label: str
    link: str = ""
    meta: str = ""


@dataclass(frozen=True)
class Panel:
    key: str
    title: Any
    rows: Callable[..., Sequence[PanelRow]]  # (actor) -> at most a handful of rows
    link: Callable[..., str] | str = ""  # (actor) -> "all" link
    visible: Callable[..., bool] = lambda actor: True
    empty: Any = ""
    order: int = 100


@dataclass(frozen=True)
class ChartData:
    labels: Sequence[str]
    # (series label, values) pairs, one bar colour / line each
    series: Sequence[tuple[str, Sequence[float | int]]] = field(default_factory=list)


@dataclass(frozen=True)
class Chart:
    key: str
    title: Any
    data: Callable[..., ChartData]  # (actor) -> labels and series in the reader's scope
    kind: str = "bar"  # "bar" or "line"
    visible: Callable[..., bool] = lambda actor: True
    order: int = 100


_items: dict[str, Tile | Panel | Chart] = {}


def register(item: Tile | Panel | Chart) -> None:
    """Add (or replace, by key) one workbench item."""
    if isinstance(item, Chart) and item.kind not in ("bar", "line"):
        raise ValueError(f"workbench chart {item.key!r}: kind must be bar or line")
    _items[item.key] = item


def registered() -> list[Tile | Panel | Chart]:
    return sorted(_items.values(), key=lambda item: (item.order, item.key))


def _value(value, actor):
    return value(actor) if callable(value) else value


def _visible(item, actor) -> bool:
    try:
        return bool(item.visible(actor))
    except Exception:
        log.exception("workbench item %s: visible() failed", item.key)
        return False


_COLOURS = ["#dc2626", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2"]


def chart_json(data: ChartData, *, kind: str = "bar") -> str:
    """The Chart.js data (labels, coloured datasets) of ``data`` drawn as ``kind``.

    The one way every admin chart is coloured and sized: the workbench's charts and
    other pages drawing with the theme's Chart.js (the reports dashboard) use it.
    """
    datasets = []
    for index, (label, values) in enumerate(data.series):
        colour = _COLOURS[index % len(_COLOURS)]
        dataset = {"label": str(label), "data": list(values)}
        if kind == "bar":
            # The theme's default bar is a hairline; size bars to their slot instead.
            dataset.update(backgroundColor=colour, maxBarThickness=40)
        else:
            dataset["borderColor"] = colour
        datasets.append(dataset)
    return json.dumps({"labels": [str(label) for label in data.labels], "datasets": datasets})


def workbench(*, actor) -> dict[str, list[dict]]:
    """The reader's tiles, panels and charts, evaluated (each in the reader's scope)."""
    tiles, panels, charts = [], [], []
    for item in registered():
        if not _visible(item, actor):
            continue
        entry: dict[str, Any] = {"key": item.key, "title": str(item.title), "error": False}
        try:
            if isinstance(item, Tile):
                entry.update(
                    count=item.count(actor),
                    link=_value(item.link, actor),
                    hint=str(item.hint),
                    icon=item.icon,
                    tone=_value(item.tone, actor),
                )
                tiles.append(entry)
            elif isinstance(item, Panel):
                entry.update(
                    rows=list(item.rows(actor)),
                    link=_value(item.link, actor),
                    empty=str(item.empty or _("Nothing waiting.")),
                )
                panels.append(entry)
            else:
                entry.update(kind=item.kind, data=chart_json(item.data(actor), kind=item.kind))
                charts.append(entry)
        except Exception:
            log.exception("workbench item %s failed", item.key)
            entry["error"] = True
            (
                tiles if isinstance(item, Tile) else panels if isinstance(item, Panel) else charts
            ).append(entry)
    return {"tiles": tiles, "panels": panels, "charts": charts}


def dashboard_callback(request, context: dict) -> dict:
    """Unfold's ``DASHBOARD_CALLBACK``: the admin index shows the reader's workbench."""
    if request.user.is_authenticated and request.user.is_staff:
        context["workbench"] = workbench(actor=request.user)
    return context
