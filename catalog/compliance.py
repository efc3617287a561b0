"""The listing checks (上架前检查): what a product still lacks before it may be submitted.

A pure check of one product already loaded through a selector (no writes, no
scope of its own): the submit service runs it, the API and the admin show it.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from ops.parameters import get_parameter

from . import parameters as params
from .models import Category, Product


def product_compliance_problems(product: Product) -> dict[str, list[str]]:
    """Return the listing checks ``product`` fails, per field (empty when it passes).

    Required fields, at least ``catalog.min_images`` pictures, at least one SKU,
    every SKU price above zero (and a weight for physical goods), no banned absolute
    words (``catalog.banned_title_words``) in title or subtitle, complete presale
    settings.
    """
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if not product.title.strip():
        add("title", _("The title is required."))
    if not product.description.strip():
        add("description", _("The description is required."))
    category = product.category
    if category.level != Category.MAX_LEVEL or not category.is_active:
        add("category", _("Choose an active third-level category."))
    banned = [word for word in get_parameter(params.BANNED_TITLE_WORDS) if word]
    for field in ("title", "subtitle"):
        text = getattr(product, field).casefold()
        found = [word for word in banned if word.casefold() in text]
        if found:
            add(
                field,
                _("Contains words the advertising law forbids: %(words)s")
                % {"words": "、".join(found)},
            )
    needed = get_parameter(params.MIN_IMAGES)
    if product.images.count() < needed:
        add("images", _("Upload at least %(n)d picture(s).") % {"n": needed})
    skus = list(product.skus.all())
    if not skus:
        add("skus", _("Add at least one SKU."))
    for sku in skus:
        if sku.price_amount <= 0:
            add(f"skus.{sku.code}.price_amount", _("The price must be above zero."))
        if not product.is_virtual and sku.weight_grams <= 0:
            add(f"skus.{sku.code}.weight_grams", _("Physical goods need a weight."))
    if product.is_presale:
        deposit = product.presale_deposit_amount
        if deposit is None or deposit <= 0:
            add("presale_deposit_amount", _("A presale needs a deposit above zero."))
        elif skus and deposit >= min(sku.price_amount for sku in skus):
            add("presale_deposit_amount", _("The deposit must be below the lowest SKU price."))
        starts, ends = (
            product.presale_final_payment_starts_at,
            product.presale_final_payment_ends_at,
        )
        if starts is None or ends is None:
            add("presale_final_payment_ends_at", _("A presale needs a final-payment window."))
        elif ends <= starts:
            add("presale_final_payment_ends_at", _("The window must end after it starts."))
        ship = product.presale_ship_date
        if ship is None:
            add("presale_ship_date", _("A presale needs a ship date."))
        elif ends is not None and ship < timezone.localdate(ends):
            add("presale_ship_date", _("The ship date cannot be before the final payment ends."))
    return problems
