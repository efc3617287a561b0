"""After-sales and review tiles on the workbench (工作台), read through scoped selectors.

* after-sales requests waiting for customer service (``orders.review_aftersale``);
* refunds waiting for finance (``orders.refund_aftersale``);
* negative reviews waiting for a reply (``orders.reply_review``).

It also provides the member 360° page's after-sales section (the hook
``members.member_360_sections``, key ``orders.after_sales``): what this area shows
outside its own screens is registered in one place.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mall.core.hooks import provide
from ops.workbench import Tile, register

from . import permissions as perms
from . import selectors
from .models import AfterSale, Review


def after_sales_waiting_count(*, actor) -> int:
    return (
        selectors.after_sale_list(actor=actor)
        .filter(status__in=[AfterSale.Status.REQUESTED, AfterSale.Status.DISPUTED])
        .count()
    )


def refunds_waiting_count(*, actor) -> int:
    return selectors.after_sale_list(actor=actor).filter(status=AfterSale.Status.REFUNDING).count()


def negative_reviews_waiting_count(*, actor) -> int:
    return (
        selectors.review_list(actor=actor)
        .filter(rating__lte=2, reply_text="")
        .exclude(status=Review.Status.DELETED)
        .count()
    )


register(
    Tile(
        key="orders.after_sales_waiting",
        title=_("After-sales waiting for review"),
        hint=_("requests and disputes to decide"),
        icon="assignment_return",
        count=lambda actor: after_sales_waiting_count(actor=actor),
        link=lambda actor: (
            reverse("admin:orders_aftersale_changelist") + "?status__exact=requested"
        ),
        visible=lambda actor: actor.has_perm(perms.REVIEW_AFTER_SALE),
        order=40,
    )
)

register(
    Tile(
        key="orders.refunds_waiting",
        title=_("Refunds waiting for execution"),
        hint=_("approved refunds to pay back"),
        icon="currency_yuan",
        count=lambda actor: refunds_waiting_count(actor=actor),
        link=lambda actor: (
            reverse("admin:orders_aftersale_changelist") + "?status__exact=refunding"
        ),
        visible=lambda actor: actor.has_perm(perms.REFUND_AFTER_SALE),
        order=41,
    )
)

register(
    Tile(
        key="orders.negative_reviews_waiting",
        title=_("Negative reviews waiting for a reply"),
        hint=_("2 stars or fewer, not answered"),
        icon="sentiment_dissatisfied",
        count=lambda actor: negative_reviews_waiting_count(actor=actor),
        link=lambda actor: reverse("admin:orders_review_changelist") + "?negative=waiting",
        visible=lambda actor: actor.has_perm(perms.REPLY_REVIEW),
        order=42,
    )
)


# --- member 360° (hook of the members app) ---------------------------------------------

MEMBER_360_ROWS = 5


def after_sales_member_360_sections(*, member, actor) -> list[dict]:
    """The member's newest after-sales cases for the 360° page (scoped, labels only)."""
    if not actor.has_perm(perms.VIEW_AFTER_SALE):
        return []
    rows = selectors.after_sale_list(actor=actor).filter(member=member)[:MEMBER_360_ROWS]
    return [
        {
            "title": _("Recent after-sales cases"),
            "columns": [_("after-sales number"), _("type"), _("status"), _("requested amount")],
            "rows": [
                [
                    {
                        "text": case.case_no,
                        "link": reverse("admin:orders_aftersale_change", args=[case.pk]),
                    },
                    str(case.get_kind_display()),
                    str(case.get_status_display()),
                    f"{case.requested_amount:.2f}",
                ]
                for case in rows
            ],
            "link": "",
            "empty": _("No after-sales cases."),
        }
    ]


provide("members.member_360_sections", "orders.after_sales", after_sales_member_360_sections)
