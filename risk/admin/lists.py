"""Shared pieces of the marks and blacklist screens: the live / expired / revoked state."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

STATE_LIVE = "live"
STATE_EXPIRED = "expired"
STATE_REVOKED = "revoked"
STATE_LABELS = {
    STATE_LIVE: _("in force"),
    STATE_EXPIRED: _("expired"),
    STATE_REVOKED: _("revoked"),
}
STATE_COLOURS = {STATE_LIVE: "danger", STATE_EXPIRED: "info", STATE_REVOKED: "success"}


def state_of(row) -> str:
    if row.revoked_at is not None:
        return STATE_REVOKED
    if row.expires_at is not None and row.expires_at <= timezone.now():
        return STATE_EXPIRED
    return STATE_LIVE


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return list(STATE_LABELS.items())

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == STATE_LIVE:
            return queryset.filter(
                Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            )
        if self.value() == STATE_EXPIRED:
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == STATE_REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@display(description=_("state"), label=STATE_COLOURS)
def state_column(row):
    state = state_of(row)
    return state, STATE_LABELS[state]
