"""Members' entries on the workbench (ops.workbench): new members per day.

Nothing in members waits for customer service or ops (adjustments and freezes are
done when asked, not queued), so there is no tile: only the chart of what exists.
"""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from ops.workbench import Chart, ChartData, register

from . import permissions, selectors
from .rfm import VIEW_RFM


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


# --- RFM (issue 17): segment and level distributions for marketing and the ops lead ---


def _may_read_rfm(actor) -> bool:
    return actor.has_perm(permissions.VIEW_MEMBER) and actor.has_perm(VIEW_RFM)


def _rfm_segments(actor) -> ChartData:
    from .models import RfmSegment
    from .selectors_rfm import rfm_segment_distribution

    rows = rfm_segment_distribution(actor=actor)
    labels = dict(RfmSegment.choices)
    return ChartData(
        labels=[str(labels[segment]) for segment, _count in rows],
        series=[(_("Number of members"), [count for _segment, count in rows])],
    )


def _member_levels(actor) -> ChartData:
    from .selectors_rfm import member_level_distribution

    rows = member_level_distribution(actor=actor)
    return ChartData(
        labels=[name for name, _count in rows],
        series=[(_("Number of members"), [count for _name, count in rows])],
    )


register(
    Chart(
        key="members.rfm_segments",
        title=_("Members per RFM segment (latest nightly run)"),
        data=_rfm_segments,
        kind="bar",
        visible=_may_read_rfm,
        order=61,
    )
)
register(
    Chart(
        key="members.levels",
        title=_("Members per level"),
        data=_member_levels,
        kind="bar",
        visible=_may_read_rfm,
        order=62,
    )
)
