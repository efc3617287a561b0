"""Customer service's section of the member 360° page (hook ``members.member_360_sections``).

Contract (``members/member_360.py``): ``provider(*, member, actor) -> list[section]``;
the member is already in the actor's scope. Rows come from the scoped
:func:`ops.tickets.selectors.ticket_member_list`; statuses and kinds show as labels.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mall.core.hooks import provide

from . import selectors
from .permissions import VIEW_TICKET

SECTION_ROWS = 10


def tickets_member_360_sections(*, member, actor) -> list[dict]:
    """The newest tickets of ``member`` that ``actor`` may see (none without the view
    permission)."""
    if not actor.has_perm(VIEW_TICKET):
        return []
    rows = selectors.ticket_member_list(actor=actor, member=member)[:SECTION_ROWS]
    return [
        {
            "title": _("Customer service tickets"),
            "columns": [
                pgettext("member 360", "Ticket number"),
                pgettext("member 360", "Opened at"),
                pgettext("member 360", "Type"),
                pgettext("member 360", "Classification"),
                pgettext("member 360", "Status"),
                pgettext("member 360", "Satisfaction"),
            ],
            "rows": [
                [
                    {
                        "text": ticket.ticket_no,
                        "link": reverse("admin:tickets_ticket_change", args=[ticket.pk]),
                    },
                    formats.date_format(
                        timezone.localtime(ticket.created_at), "SHORT_DATETIME_FORMAT"
                    ),
                    ticket.get_kind_display(),
                    ticket.get_category_display(),
                    ticket.get_status_display(),
                    "★" * ticket.rating if ticket.rating else "—",
                ]
                for ticket in rows
            ],
            "link": reverse("admin:tickets_ticket_changelist") + f"?member={member.pk}",
            "link_label": _("All tickets of this member"),
            "empty": _("No tickets."),
        }
    ]


provide("members.member_360_sections", "tickets", tickets_member_360_sections)
