"""渠道健康: each channel's last computed health (the job recomputes it every minute)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ReadOnlyModelAdmin, status_display

from .. import selectors
from ..models import ChannelHealth
from .common import HEALTH_COLOURS


@admin.register(ChannelHealth)
class ChannelHealthAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.channel_health_list
    nav_group = "finance"
    nav_order = 60
    nav_icon = "monitor_heart"
    ordering = ["channel"]
    list_filter = ["state"]
    list_display = [
        "channel",
        status_display("state", HEALTH_COLOURS),
        "success_percent",
        "latency_p95_ms",
        "calls",
        "window_minutes",
        "changed_at",
        "computed_at",
    ]
    fields = [
        "channel",
        "state",
        "success_percent",
        "latency_p95_ms",
        "calls",
        "window_minutes",
        "changed_at",
        "computed_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("success rate"), ordering="success_rate")
    def success_percent(self, row):
        if row.success_rate is None:
            return "—"
        return f"{row.success_rate * 100:.1f}%"
