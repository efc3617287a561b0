"""Orders' section of the member 360° page (the hook ``members.member_360_sections``).

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
from .permissions import VIEW_ORDER

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


def orders_member_360_sections(*, member, actor) -> list[dict]:
    """Recent orders of ``member`` that ``actor`` may see.

    After-sales cases are a section of their own, provided by the after-sales part
    under the key ``orders.after_sales``.
    """
    if not actor.has_perm(VIEW_ORDER):
        return []
    return [_orders_section(member, actor)]


provide("members.member_360_sections", "orders", orders_member_360_sections)
