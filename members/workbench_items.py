"""Members' entries on the workbench (ops.workbench): new members per day.

Nothing in members waits for customer service or ops (adjustments and freezes are
done when asked, not queued), so there is no tile: only the chart of what exists.
"""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from ops.workbench import Chart, ChartData, register

from . import permissions, selectors


def _new_members(actor) -> ChartData:
    days = selectors.member_signups_per_day(actor=actor, days=14)
    return ChartData(
        labels=[formats.date_format(day, "m-d") for day, _count in days],
        series=[(_("New members"), [count for _day, count in days])],
    )


register(
    Chart(
        key="members.new_per_day",
        title=_("New members per day (last 14 days)"),
        data=_new_members,
        kind="bar",
        visible=lambda actor: actor.has_perm(permissions.VIEW_MEMBER),
        order=60,
    )
)
