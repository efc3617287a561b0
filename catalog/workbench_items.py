"""The catalog's entries on the workbench (``ops.workbench``), imported in ``ready()``.

Each reads through the catalog's scoped selectors: a number counts only the products
the reader may see, and shows only to those whose work it is (by permission).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from mall.core.people import person_name
from ops.workbench import Chart, ChartData, Panel, PanelRow, Tile, register

from . import permissions as perms
from . import selectors
from .models import Product


def _products_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("admin:catalog_product_changelist") + (f"?{query}" if query else "")


register(
    Tile(
        key="catalog.reviews_waiting",
        title=_("Products waiting for my review"),
        hint=_("listings submitted by others, in my scope"),
        icon="fact_check",
        count=lambda actor: selectors.product_reviews_waiting_for(actor=actor).count(),
        link=lambda actor: _products_url(status__exact=Product.Status.PENDING_REVIEW),
        visible=lambda actor: actor.has_perm(perms.REVIEW_PRODUCT),
        tone=lambda actor: (
            "warning" if selectors.product_reviews_waiting_for(actor=actor).exists() else "info"
        ),
        order=20,
    )
)

register(
    Tile(
        key="catalog.rejected_to_fix",
        title=_("Rejected products to fix"),
        hint=_("my listings the review sent back"),
        icon="edit_note",
        count=lambda actor: selectors.product_rejected_for(actor=actor).count(),
        link=lambda actor: _products_url(status__exact=Product.Status.REJECTED, owner=actor.pk),
        visible=lambda actor: actor.has_perm(perms.SUBMIT_PRODUCT),
        tone=lambda actor: (
            "danger" if selectors.product_rejected_for(actor=actor).exists() else "info"
        ),
        order=25,
    )
)


def _review_rows(actor) -> list[PanelRow]:
    """The five oldest listings waiting for this reviewer: who submitted, since when."""
    waiting = (
        selectors.product_reviews_waiting_for(actor=actor)
        .select_related("submitted_by")
        .order_by("submitted_at", "pk")[:5]
    )
    return [
        PanelRow(
            label=product.title,
            link=reverse("admin:catalog_product_change", args=[product.pk]),
            meta=" · ".join(
                part
                for part in (
                    person_name(product.submitted_by) if product.submitted_by else "",
                    date_format(timezone.localtime(product.submitted_at), "SHORT_DATETIME_FORMAT")
                    if product.submitted_at
                    else "",
                )
                if part
            ),
        )
        for product in waiting
    ]


register(
    Panel(
        key="catalog.reviews_waiting_list",
        title=_("Waiting for my review, oldest first"),
        rows=_review_rows,
        link=lambda actor: _products_url(status__exact=Product.Status.PENDING_REVIEW),
        visible=lambda actor: actor.has_perm(perms.REVIEW_PRODUCT),
        empty=_("No listing is waiting for your review."),
        order=20,
    )
)


def _status_chart(actor) -> ChartData:
    counts = selectors.product_status_counts(actor=actor)
    return ChartData(
        labels=[str(Product.Status(status).label) for status in counts],
        series=[(str(_("number of products")), list(counts.values()))],
    )


register(
    Chart(
        key="catalog.products_by_status",
        title=_("Products per status"),
        data=_status_chart,
        visible=lambda actor: actor.has_perm(perms.VIEW_PRODUCT),
        order=60,
    )
)
