"""数据报表 → 数据看板: the KPI dashboard (not a model admin: hung on the archive's urls).

The page reads ``selectors.dashboard_get`` in the reader's data scope: KPI cards of
today, the last 7 and 30 days (each against its previous window), the chosen period
against the previous one, by-region and by-channel tables and the 30-day trend
(Chart.js from the theme's static files). The region and channel filters offer only
what the reader's scope holds; anything else is refused by the form.
Viewing needs ``reports.view_dashboard``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ops.workbench import ChartData, chart_json

from .. import selectors
from ..permissions import VIEW_DASHBOARD

URL_NAME = "reports_dashboard"
TITLE = pgettext_lazy("admin navigation", "Data dashboard")

PERIOD_LABELS = {
    "today": _("Today"),
    "7d": _("Last 7 days"),
    "30d": _("Last 30 days"),
}
# (key, label, kind): kind "money", "ratio" or "count"
KPIS = [
    ("gmv", _("GMV"), "money"),
    ("orders", _("Orders placed"), "count"),
    ("paid_conversion", _("Paid conversion"), "ratio"),
    ("average_order_value", _("Average order value"), "money"),
    ("new_members", _("New members"), "count"),
    ("repeat_purchase_rate", _("Repeat-purchase rate"), "ratio"),
    ("retention_rate", _("Retention"), "ratio"),
    ("refund_rate", _("Refund rate"), "ratio"),
]
BREAKDOWN = [
    ("gmv", _("GMV"), "money"),
    ("orders", _("Orders placed"), "count"),
    ("paid_orders", _("Paid orders"), "count"),
    ("paid_conversion", _("Paid conversion"), "ratio"),
    ("average_order_value", _("Average order value"), "money"),
    ("refund_rate", _("Refund rate"), "ratio"),
]


def may_view_dashboard(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(VIEW_DASHBOARD))


def show(value, kind: str) -> str:
    """A figure as the page shows it: ¥ with grouping, a percentage, a count; — for none."""
    if value is None:
        return "—"
    if kind == "money":
        return "¥" + formats.number_format(value, 2, force_grouping=True)
    if kind == "ratio":
        return formats.number_format(value * 100, 2) + "%"
    return formats.number_format(value, force_grouping=True)


def _change(current, previous, kind: str) -> str:
    if current is None or previous is None:
        return "—"
    if kind == "ratio":
        points = (current - previous) * 100
        return ("+" if points >= 0 else "") + formats.number_format(points, 2) + " pp"
    if not previous:
        return "—"
    change = (current - previous) * 100 / previous
    return ("+" if change >= 0 else "") + formats.number_format(change, 1) + "%"


class DashboardForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False)
    region = forms.ChoiceField(label=_("Sales region"), required=False)
    channel = forms.ChoiceField(label=_("Sales channel"), required=False)

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All in my scope"))]
        self.fields["period"].choices = list(PERIOD_LABELS.items())
        self.fields["region"].choices = everything + list(choices["regions"])
        self.fields["channel"].choices = everything + list(choices["channels"])


def _chart(labels, series) -> str:
    return chart_json(ChartData(labels=labels, series=series), kind="line")


def _comparison_chart(current: dict, previous: dict) -> str:
    labels = [str(_("Orders placed")), str(_("Paid orders")), str(_("Buyers"))]
    series = [
        (label, [figures["orders"], figures["paid_orders"], figures["buyers"]])
        for label, figures in ((_("This period"), current), (_("Previous period"), previous))
    ]
    return chart_json(ChartData(labels=labels, series=series), kind="bar")


def dashboard_context(*, actor, params) -> dict:
    """The page's context: the form and the figures, formatted (the view's only work)."""
    choices = selectors.dashboard_choices(actor=actor)
    form = DashboardForm(params or None, choices=choices)
    period, region, channel = "7d", "", ""
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["period"] or "7d"
        region = form.cleaned_data["region"]
        channel = form.cleaned_data["channel"]
    if not form.is_bound:
        form = DashboardForm(initial={"period": period}, choices=choices)
    data = selectors.dashboard_get(actor=actor, period=period, region=region, channel=channel)
    cards = []
    for name, label in PERIOD_LABELS.items():
        current, previous = data["cards"][name]["current"], data["cards"][name]["previous"]
        cards.append(
            {
                "key": name,
                "label": label,
                "items": [
                    {
                        "key": key,
                        "label": kpi_label,
                        "value": show(current[key], kind),
                        "previous": show(previous[key], kind),
                        "change": _change(current[key], previous[key], kind),
                    }
                    for key, kpi_label, kind in KPIS
                ],
            }
        )
    comparison = [
        {
            "label": kpi_label,
            "current": show(data["current"][key], kind),
            "previous": show(data["previous"][key], kind),
            "change": _change(data["current"][key], data["previous"][key], kind),
        }
        for key, kpi_label, kind in KPIS
    ]

    def table(rows):
        return [
            {
                "name": row["name"],
                "cells": [show(row[key], kind) for key, _label, kind in BREAKDOWN],
            }
            for row in rows
        ]

    trend_labels = [formats.date_format(row["day"], "m-d") for row in data["trend"]]
    return {
        "form": form,
        "period_label": PERIOD_LABELS[period],
        "cards": cards,
        "comparison": comparison,
        "breakdown_headers": [label for _key, label, _kind in BREAKDOWN],
        "by_region": table(data["by_region"]),
        "by_channel": table(data["by_channel"]),
        "breakdown_tables": [
            (_("By sales region"), table(data["by_region"]), _("Sales region")),
            (_("By sales channel"), table(data["by_channel"]), _("Sales channel")),
        ],
        "trend_gmv": _chart(trend_labels, [(_("GMV"), [float(r["gmv"]) for r in data["trend"]])]),
        "trend_orders": _chart(
            trend_labels,
            [
                (_("Orders placed"), [r["orders"] for r in data["trend"]]),
                (_("Paid orders"), [r["paid_orders"] for r in data["trend"]]),
            ],
        ),
        "comparison_chart": _comparison_chart(data["current"], data["previous"]),
    }


def dashboard_view(model_admin, request):
    """Render the dashboard for a reader with ``reports.view_dashboard``."""
    if not may_view_dashboard(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": TITLE,
        **dashboard_context(actor=request.user, params=request.GET),
    }
    return TemplateResponse(request, "reports/dashboard.html", context)
