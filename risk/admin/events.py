"""风控事件: every block and review at the guard points, read only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from mall.core.admin import ReadOnlyModelAdmin, status_display

from .. import selectors
from ..models import RiskEvent
from .common import DECISION_COLOURS, evidence_table, member_text, rule_label, short


@admin.register(RiskEvent)
class RiskEventAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.event_list
    estimated_count = True
    nav_group = "risk"
    nav_order = 20
    nav_icon = "report"
    ordering = ["-id"]
    list_filter = ["point", "decision", "region", ("created_at", DateFieldListFilter)]
    list_select_related = ["member", "region"]
    list_display = [
        "created_at",
        "point",
        status_display("decision", DECISION_COLOURS),
        "rule_name",
        "score",
        "member_masked",
        "device",
        "client_ip",
        "region",
    ]
    fields = [
        "created_at",
        "point",
        "decision",
        "rule_name",
        "score",
        "reason",
        "member_masked",
        "device",
        "client_ip",
        "region",
        "evidence_rows",
    ]
    readonly_fields = fields

    @admin.display(description=_("rule"))
    def rule_name(self, event):
        return rule_label(event.rule)

    @admin.display(description=_("member"))
    def member_masked(self, event):
        return member_text(event.member)

    @admin.display(description=_("device"))
    def device(self, event):
        return short(event.device_id) if event.device_id else "—"

    @display(description=_("evidence"))
    def evidence_rows(self, event):
        return evidence_table(event.evidence)
