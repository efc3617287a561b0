"""The member 360° page (会员 360° 视图): one member's ledgers, coupons and notices on
the member's admin page, read through the scoped selectors.

Sections are plain dicts so that apps above members can add their own through the
hook :data:`MEMBER_360_HOOK` without importing anything from here:

``members.member_360_sections`` — offered by members, provided by apps above it
(orders, after-sales). Register from your ``AppConfig.ready``::

    from mall.core.hooks import provide
    provide("members.member_360_sections", "orders", orders_member_360_sections)

Contract: ``provider(*, member, actor) -> list[section]``, where ``member`` is the
``members.Member`` shown (already in ``actor``'s scope) and ``actor`` the staff user
reading the page. The provider reads through its own app's scoped selectors (rows out
of the actor's scope never appear), checks its own view permission (return ``[]``
when the actor may not see its data), masks personal data (never plaintext: the page
is not where a reveal is recorded) and returns at most a handful of rows per section
(the newest; ``link`` leads to the full, filtered list). A section is::

    {
        "title": "最近订单",              # translated, shown as the heading
        "columns": ["订单号", "状态"],     # translated column titles
        "rows": [["SO-1", "已付款"]],      # one list of cells per row, len == columns
        "link": "/admin/orders/order/?member=100",  # the full list ("" for none)
        "link_label": "全部订单",          # optional, default "查看全部"
        "empty": "暂无订单",               # optional, shown when rows is empty
    }

A cell is a string (shown escaped) or ``{"text": …, "link": …}`` (a link). Status
codes and kinds are shown through their translated labels, never raw. A provider
that raises is logged and its sections are left out: the page still renders.
"""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mall.core.hooks import providers
from mall.core.masking import mask_name, mask_phone

from . import selectors
from .models import GrowthReason, Member

log = logging.getLogger(__name__)

MEMBER_360_HOOK = "members.member_360_sections"
# How many of the newest rows each section shows (the link opens the full list).
SECTION_ROWS = 10


def member_label(member: Member) -> str:
    """A member as staff read them on any page: masked name and masked phone.

    Always masked (a list or a breadcrumb is not where personal data is revealed);
    a reader with the PII permission sees plaintext on the member's own page.
    """
    parts = [mask_name(member.name), mask_phone(member.phone)]
    return " ".join(part for part in parts if part) or _("member #%(id)s") % {"id": member.pk}


def _when(value) -> str:
    if not value:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _signed(value: int) -> str:
    return f"{value:+d}"


def _ledger_link(model_name: str, member: Member) -> str:
    return reverse(f"admin:members_{model_name}_changelist") + f"?member={member.pk}"


def _note_or_reference(entry) -> str:
    # Hand adjustments carry an internal reference (staff:<user>:<member>:…); the note
    # a person wrote says what happened. Other entries name their order or activity.
    if entry.reference.startswith("staff:"):
        return entry.note
    return " ".join(part for part in (entry.reference, entry.note) if part)


def level_change_reason(change) -> str:
    """Why a level changed, for people: the growth kind (and its order or activity).

    The service stores ``"<growth reason>:<reference>"``; the reason is shown through
    its translated label, and a hand adjustment's internal reference is left out.
    """
    code, _sep, reference = (change.reason or "").partition(":")
    try:
        label = str(GrowthReason(code).label)
    except ValueError:
        return change.reason
    if not reference or reference.startswith("staff:"):
        return label
    return f"{label} {reference}"


def _can(actor, codename: str) -> bool:
    return actor.has_perm(f"members.{codename}")


def _level_section(member: Member, actor) -> dict:
    rows = selectors.level_change_list(actor=actor, member=member)[:SECTION_ROWS]
    return {
        "title": _("Level history"),
        "columns": [
            pgettext("member 360", "Time"),
            pgettext("member 360", "From level"),
            pgettext("member 360", "To level"),
            pgettext("member 360", "Growth"),
            pgettext("member 360", "Reason"),
        ],
        "rows": [
            [
                _when(change.created_at),
                change.from_level.name,
                change.to_level.name,
                str(change.growth),
                level_change_reason(change),
            ]
            for change in rows
        ],
        "link": _ledger_link("levelchange", member),
        "link_label": _("Full level history"),
        "empty": _("The level has not changed yet."),
    }


def _growth_section(member: Member, actor) -> dict:
    rows = selectors.growth_entry_list(actor=actor, member=member)[:SECTION_ROWS]
    return {
        "title": _("Growth ledger (growth %(growth)s)") % {"growth": member.growth},
        "columns": [
            pgettext("member 360", "Time"),
            pgettext("member 360", "Kind"),
            pgettext("member 360", "Change"),
            pgettext("member 360", "Growth after"),
            pgettext("member 360", "Note"),
        ],
        "rows": [
            [
                _when(entry.created_at),
                entry.get_reason_display(),
                _signed(entry.amount),
                str(entry.balance_after),
                _note_or_reference(entry),
            ]
            for entry in rows
        ],
        "link": _ledger_link("growthentry", member),
        "link_label": _("Full growth ledger"),
        "empty": _("No growth yet."),
    }


def _points_section(member: Member, actor) -> dict:
    rows = selectors.points_entry_list(actor=actor, member=member)[:SECTION_ROWS]
    return {
        "title": _("Points ledger (balance %(balance)s)") % {"balance": member.points_balance},
        "columns": [
            pgettext("member 360", "Time"),
            pgettext("member 360", "Kind"),
            pgettext("member 360", "Points"),
            pgettext("member 360", "Balance after"),
            pgettext("member 360", "Note"),
        ],
        "rows": [
            [
                _when(entry.created_at),
                entry.get_reason_display(),
                _signed(entry.points),
                str(entry.balance_after),
                _note_or_reference(entry),
            ]
            for entry in rows
        ],
        "link": _ledger_link("pointsentry", member),
        "link_label": _("Full points ledger"),
        "empty": _("No points yet."),
    }


def _coupon_section(member: Member, actor) -> dict:
    rows = selectors.coupon_list(actor=actor, member=member).order_by("-id")[:SECTION_ROWS]
    return {
        "title": _("Coupons"),
        "columns": [
            pgettext("member 360", "Coupon"),
            pgettext("member 360", "Status"),
            pgettext("member 360", "Source"),
            pgettext("member 360", "Valid until"),
            pgettext("member 360", "Order"),
        ],
        "rows": [
            [
                coupon.template.name,
                coupon.get_status_display(),
                coupon.get_source_display(),
                _when(coupon.valid_until),
                coupon.order_no,
            ]
            for coupon in rows
        ],
        "link": _ledger_link("coupon", member),
        "link_label": _("All coupons of this member"),
        "empty": _("No coupons."),
    }


def _notification_section(member: Member, actor) -> dict:
    rows = selectors.notification_list(actor=actor, member=member).order_by("-id")[:SECTION_ROWS]
    return {
        "title": _("Notifications sent"),
        "columns": [
            pgettext("member 360", "Time"),
            pgettext("member 360", "Kind"),
            pgettext("member 360", "Channel"),
            pgettext("member 360", "Status"),
            pgettext("member 360", "Sent at"),
        ],
        "rows": [
            [
                _when(notice.created_at),
                notice.get_kind_display(),
                notice.get_channel_display(),
                notice.get_status_display(),
                _when(notice.sent_at),
            ]
            for notice in rows
        ],
        "link": _ledger_link("notification", member),
        "link_label": _("All notifications of this member"),
        "empty": _("No notifications."),
    }


def _rfm_section(member: Member, actor) -> dict:
    from .selectors_rfm import member_rfm_list

    found = member_rfm_list(actor=actor).filter(pk=member.pk).first()
    rfm = found.rfm if found is not None else None
    rows = []
    if rfm is not None:
        scores = (
            f"{rfm.r_score} / {rfm.f_score} / {rfm.m_score}" if rfm.r_score is not None else "—"
        )
        rows.append(
            [
                rfm.get_segment_display() or "—",
                scores,
                "—" if rfm.recency_days is None else str(rfm.recency_days),
                str(rfm.frequency),
                str(rfm.monetary_amount),
                str(rfm.previous_frequency),
                _("Yes") if rfm.is_win_back else _("No"),
            ]
        )
    return {
        "title": _("RFM (latest nightly run)"),
        "columns": [
            pgettext("member 360", "RFM segment"),
            pgettext("member 360", "R / F / M scores"),
            pgettext("member 360", "Days since last purchase"),
            pgettext("member 360", "Orders in the window"),
            pgettext("member 360", "Paid in the window"),
            pgettext("member 360", "Orders in the previous window"),
            pgettext("member 360", "Win-back"),
        ],
        "rows": rows,
        "link": "",
        "empty": _("No paid order in the RFM windows."),
    }


# (view permission, section builder): a section shows only to readers of its rows.
OWN_SECTIONS = [
    ("view_levelchange", _level_section),
    ("view_growthentry", _growth_section),
    ("view_pointsentry", _points_section),
    ("view_coupon", _coupon_section),
    ("view_notification", _notification_section),
    ("view_memberrfm", _rfm_section),  # RFM (issue 17)
]


def _cell(value) -> dict:
    if isinstance(value, dict):
        return {"text": str(value.get("text", "")), "link": value.get("link", "")}
    return {"text": "" if value is None else str(value), "link": ""}


def _normalised(section: dict) -> dict:
    return {
        "title": str(section.get("title", "")),
        "columns": [str(column) for column in section.get("columns", [])],
        "rows": [[_cell(value) for value in row] for row in section.get("rows", [])],
        "link": section.get("link", ""),
        "link_label": str(section.get("link_label", "")),
        "empty": str(section.get("empty", "")),
    }


def member_360_sections(*, member: Member, actor) -> list[dict]:
    """The 360° sections of ``member`` for ``actor``: members' own, then the hook's.

    Each own section shows only with its model's view permission and reads through
    the scoped selectors; providers of :data:`MEMBER_360_HOOK` add theirs (see the
    module docstring for the contract).
    """
    sections = [build(member, actor) for codename, build in OWN_SECTIONS if _can(actor, codename)]
    for provider in providers(MEMBER_360_HOOK):
        try:
            sections.extend(provider(member=member, actor=actor) or [])
        except Exception:
            log.exception("member 360 provider %r failed", provider)
    return [_normalised(section) for section in sections]


__all__ = ["MEMBER_360_HOOK", "member_360_sections", "member_label"]
