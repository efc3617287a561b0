"""Orders' sections of the member 360° page (the hook ``members.member_360_sections``).

Contract (``members/member_360.py``): ``provider(*, member, actor) -> list[section]``;
``member`` is already in the actor's scope. Each section reads through orders' scoped
selectors (an order outside the reader's scope never shows), needs its own view
permission, names statuses and kinds by their labels and shows at most
``SECTION_ROWS`` of the newest rows, with a link to the full, filtered list.
Registered on import (``OrdersConfig.ready`` imports this module).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mall.core.hooks import provide

from . import selectors
from .permissions import VIEW_AFTER_SALE, VIEW_ORDER

SECTION_ROWS = 10


def _when(value) -> str:
    if not value:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _orders_section(member, actor) -> dict:
    rows = selectors.order_list(actor=actor).filter(member=member)[:SECTION_ROWS]
    return {
        "title": _("Recent orders"),
        "columns": [
            pgettext("member 360", "Order number"),
            pgettext("member 360", "Placed at"),
            pgettext("member 360", "Channel"),
            pgettext("member 360", "Status"),
            pgettext("member 360", "Payable"),
            pgettext("member 360", "Paid"),
        ],
        "rows": [
            [
                {
                    "text": order.order_no,
                    "link": reverse("admin:orders_order_change", args=[order.pk]),
                },
                _when(order.created_at),
                order.channel.name,
                order.get_status_display(),
                str(order.total_amount),
                str(order.paid_amount),
            ]
            for order in rows
        ],
        "link": reverse("admin:orders_order_changelist") + f"?member={member.pk}",
        "link_label": _("All orders of this member"),
        "empty": _("No orders."),
    }


def _after_sales_section(member, actor) -> dict:
    rows = selectors.after_sale_list(actor=actor).filter(member=member)[:SECTION_ROWS]
    return {
        "title": _("After-sales cases"),
        "columns": [
            pgettext("member 360", "After-sales number"),
            pgettext("member 360", "Order number"),
            pgettext("member 360", "Type"),
            pgettext("member 360", "Status"),
            pgettext("member 360", "Requested"),
            pgettext("member 360", "Time"),
        ],
        "rows": [
            [
                case.case_no,
                case.order.order_no,
                case.get_kind_display(),
                case.get_status_display(),
                str(case.requested_amount),
                _when(case.created_at),
            ]
            for case in rows
        ],
        "link": "",
        "empty": _("No after-sales cases."),
    }


def orders_member_360_sections(*, member, actor) -> list[dict]:
    """Recent orders and after-sales cases of ``member`` that ``actor`` may see."""
    sections = []
    if actor.has_perm(VIEW_ORDER):
        sections.append(_orders_section(member, actor))
    if actor.has_perm(VIEW_AFTER_SALE):
        sections.append(_after_sales_section(member, actor))
    return sections


provide("members.member_360_sections", "orders", orders_member_360_sections)
