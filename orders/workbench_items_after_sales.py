"""After-sales and review tiles on the workbench (工作台), read through scoped selectors.

* after-sales requests waiting for customer service (``orders.review_aftersale``);
* refunds waiting for finance (``orders.refund_aftersale``);
* negative reviews waiting for a reply (``orders.reply_review``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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
