"""Monitoring on the workbench (工作台).

* 告警中 — alerts firing now (tech lead and whoever reads alerts; red when any);
* 未结故障 — incidents not resolved yet (open or mitigated);
* 故障报告超时 — resolved incidents whose 故障分析报告 is past due (red when any);
* 公告 — the announcements for the reader (every staff member, by audience).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from ops.workbench import Panel, PanelRow, Tile, register

from . import permissions as perms
from . import selectors
from .models import Incident


def _changelist(model: str, query: dict | None = None) -> str:
    url = reverse(f"admin:monitoring_{model}_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def _may(permission: str):
    return lambda actor: actor.has_perm(permission)


def incidents_unresolved(*, actor):
    return selectors.incident_list(actor=actor).filter(
        status__in=[Incident.Status.OPEN, Incident.Status.MITIGATED]
    )


def _announcement_rows(actor) -> list[PanelRow]:
    rows = []
    for announcement in selectors.announcement_feed(actor=actor)[:5]:
        body = announcement.body if len(announcement.body) <= 80 else announcement.body[:79] + "…"
        when = formats.date_format(timezone.localtime(announcement.publish_at), "SHORT_DATE_FORMAT")
        rows.append(PanelRow(label=announcement.title, meta=f"{when} · {body}"))
    return rows


register(
    Tile(
        key="monitoring.alerts_firing",
        title=_("Alerts firing"),
        hint=_("monitoring alerts whose condition still holds"),
        icon="notifications_active",
        count=lambda actor: selectors.alerts_firing(actor=actor).count(),
        link=lambda actor: _changelist("alert", {"status__exact": "firing"}),
        visible=_may(perms.VIEW_ALERT),
        tone=lambda actor: "danger" if selectors.alerts_firing(actor=actor).exists() else "success",
        order=90,
    )
)

register(
    Tile(
        key="monitoring.incidents_open",
        title=_("Incidents not resolved"),
        hint=_("incidents open or mitigated"),
        icon="report",
        count=lambda actor: incidents_unresolved(actor=actor).count(),
        link=lambda actor: _changelist("incident", {"state": "unresolved"}),
        visible=_may(perms.VIEW_INCIDENT),
        tone=lambda actor: "warning" if incidents_unresolved(actor=actor).exists() else "success",
        order=91,
    )
)

register(
    Tile(
        key="monitoring.reports_overdue",
        title=_("Incident reports overdue"),
        hint=_("resolved incidents whose analysis report is late"),
        icon="alarm",
        count=lambda actor: selectors.incidents_report_overdue(actor=actor).count(),
        link=lambda actor: _changelist("incident", {"state": "report_overdue"}),
        visible=_may(perms.VIEW_INCIDENT),
        tone=lambda actor: (
            "danger" if selectors.incidents_report_overdue(actor=actor).exists() else "success"
        ),
        order=92,
    )
)

register(
    Panel(
        key="monitoring.announcements",
        title=_("Announcements"),
        rows=_announcement_rows,
        visible=lambda actor: bool(getattr(actor, "is_staff", False)),
        empty=_("No announcements."),
        order=5,
    )
)
