"""Every read of the catalog served to a person, a report or another app.

Staff reads start from the ``*_visible_to(*, actor)`` functions (the data scope: a
product belongs to its owner and the owner's department); lists are
``<entity>_list(*, actor)`` (filtered by the FilterSets of ``catalog/filters.py``)
and details ``<entity>_get(*, actor, pk)``, which raise a ``NotFound`` subclass
both for a missing row and for one outside the scope. Storefront reads show
on-shelf products only; their actor is the member, or ``None`` for a guest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone

from mall.core.scoping import scope_queryset

from .exceptions import CategoryNotFound, ProductNotFound, SkuNotFound
from .models import (
    Category,
    CategoryChangeRequest,
    Product,
    ProductEvent,
    ProductImage,
    ProductImport,
    PromotionPrice,
    Sku,
    SkuPriceChange,
)


def _get(queryset: QuerySet, pk, error: type[Exception], **kwargs):
    """The row ``pk`` of ``queryset``, or ``error`` (also for an id that is not a number)."""
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError, OverflowError):
        raise error(**kwargs) from None


# --- products --------------------------------------------------------------------------


def product_visible_to(*, actor) -> QuerySet[Product]:
    """Products ``actor`` may see (their data scope)."""
    return scope_queryset(actor, Product.objects.all())


def product_list(*, actor) -> QuerySet[Product]:
    """List products in scope; related rows joined or prefetched for constant queries."""
    return (
        product_visible_to(actor=actor)
        .select_related("category", "owner", "created_by", "submitted_by")
        .prefetch_related(
            Prefetch("skus", queryset=Sku.objects.order_by("sort_order", "id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
        )
    )


def product_get(*, actor, pk) -> Product:
    """Return one product in ``actor``'s scope, or raise ``ProductNotFound``."""
    return _get(product_list(actor=actor), pk, ProductNotFound)


def product_history(*, actor, product: Product) -> QuerySet[ProductEvent]:
    """The product's events, oldest first, with the real names of who acted."""
    return (
        scope_queryset(actor, ProductEvent.objects.filter(product=product))
        .select_related("actor")
        .order_by("id")
    )


def product_price_history(*, actor, product: Product) -> QuerySet[SkuPriceChange]:
    """Every sale-price change of the product's SKUs, newest first."""
    return (
        scope_queryset(actor, SkuPriceChange.objects.filter(sku__product=product))
        .select_related("sku", "changed_by")
        .order_by("-changed_at", "-id")
    )


def product_image_get(*, actor, product: Product, pk) -> ProductImage:
    """One picture of ``product`` (in scope), or ``ProductNotFound`` (``image_not_found``)."""
    images = scope_queryset(actor, ProductImage.objects.filter(product=product))
    return _get(images.select_related("product"), pk, ProductNotFound, code="image_not_found")


def product_owner_choices(*, actor) -> QuerySet:
    """Staff a product may be handed to: every active staff member.

    Deliberately not the reader's data scope: handing a product to an owner in
    another department is allowed (docs/CATALOG.md, "Who does what").
    """
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


def product_owners(*, actor) -> QuerySet:
    """The people who own products in ``actor``'s scope (the list's owner filter)."""
    owner_ids = product_visible_to(actor=actor).filter(owner__isnull=False).values("owner_id")
    return get_user_model().objects.filter(pk__in=owner_ids).order_by("last_name", "first_name")


def product_reviews_waiting_for(*, actor) -> QuerySet[Product]:
    """Products in review that ``actor`` may decide: in scope, not authored or submitted
    by them (the services refuse a reviewer who is the author)."""
    return (
        product_visible_to(actor=actor)
        .filter(status=Product.Status.PENDING_REVIEW)
        .exclude(Q(created_by=actor) | Q(submitted_by=actor))
    )


def product_rejected_for(*, actor) -> QuerySet[Product]:
    """Rejected products waiting for ``actor``'s rework (owned, authored or submitted)."""
    return product_visible_to(actor=actor).filter(
        Q(owner=actor) | Q(created_by=actor) | Q(submitted_by=actor),
        status=Product.Status.REJECTED,
    )


def product_status_counts(*, actor) -> dict[str, int]:
    """How many products in ``actor``'s scope are in each status (every status listed)."""
    counts = dict(
        product_visible_to(actor=actor)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Product.Status.values}


# --- SKUs and prices -------------------------------------------------------------------


def sku_visible_to(*, actor) -> QuerySet[Sku]:
    """SKUs of the products ``actor`` may see."""
    return scope_queryset(actor, Sku.objects.all())


def sku_list(*, actor) -> QuerySet[Sku]:
    return sku_visible_to(actor=actor).select_related("product")


def sku_get(*, actor, pk) -> Sku:
    """Return one SKU in scope, or raise ``SkuNotFound``."""
    return _get(sku_list(actor=actor), pk, SkuNotFound)


def sku_price_history(*, actor, sku: Sku) -> QuerySet[SkuPriceChange]:
    return (
        scope_queryset(actor, SkuPriceChange.objects.filter(sku=sku))
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )


def sku_price_change_list(*, actor) -> QuerySet[SkuPriceChange]:
    """The price history of every SKU in scope (the admin's price-history list)."""
    return scope_queryset(actor, SkuPriceChange.objects.all()).select_related("sku", "changed_by")


def promotion_list(*, actor) -> QuerySet[PromotionPrice]:
    return scope_queryset(actor, PromotionPrice.objects.all()).select_related(
        "sku", "sku__product", "created_by"
    )


def promotion_get(*, actor, pk) -> PromotionPrice:
    return _get(promotion_list(actor=actor), pk, ProductNotFound, code="promotion_not_found")


def _active_promotions(now: datetime | None = None) -> QuerySet[PromotionPrice]:
    now = now or timezone.now()
    return PromotionPrice.objects.filter(
        status=PromotionPrice.Status.ACTIVE, starts_at__lte=now, ends_at__gt=now
    )


def sku_current_prices(
    *, actor, sku_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Decimal]:
    """Return what each SKU sells for right now (the promotion price while one runs).

    Prices are public (the storefront shows them): not scoped, whoever ``actor`` is.
    """
    ids = sorted({int(pk) for pk in sku_ids})
    prices = dict(Sku.objects.filter(pk__in=ids).values_list("pk", "price_amount"))
    for sku_id, price in (
        _active_promotions(now).filter(sku_id__in=ids).values_list("sku_id", "price_amount")
    ):
        prices[sku_id] = min(prices.get(sku_id, price), price)
    return prices


# --- category tree and imports ---------------------------------------------------------


def category_list(*, actor) -> QuerySet[Category]:
    return scope_queryset(actor, Category.objects.all()).select_related("parent")


def category_tree(*, actor) -> QuerySet[Category]:
    """The categories in tree order (each parent before its children, siblings by
    ``sort_order``), with parent and grandparent joined for full paths."""

    def key(level_1, level_2, level_3):
        return Case(
            When(level=1, then=level_1),
            When(level=2, then=level_2),
            default=level_3,
            output_field=IntegerField(),
        )

    return (
        category_list(actor=actor)
        .select_related("parent__parent")
        .annotate(
            root_sort=key(
                F("sort_order"), F("parent__sort_order"), F("parent__parent__sort_order")
            ),
            root_key=key(F("id"), F("parent_id"), F("parent__parent_id")),
            middle_sort=key(-1, F("sort_order"), F("parent__sort_order")),
            middle_key=key(0, F("id"), F("parent_id")),
            leaf_sort=key(-1, -1, F("sort_order")),
        )
        .order_by("root_sort", "root_key", "middle_sort", "middle_key", "leaf_sort", "id")
    )


def category_get(*, actor, pk) -> Category:
    return _get(category_list(actor=actor), pk, CategoryNotFound)


def category_change_list(*, actor) -> QuerySet[CategoryChangeRequest]:
    return scope_queryset(actor, CategoryChangeRequest.objects.all()).select_related(
        "category", "requested_by", "decided_by"
    )


def category_change_get(*, actor, pk) -> CategoryChangeRequest:
    return _get(
        category_change_list(actor=actor), pk, CategoryNotFound, code="category_change_not_found"
    )


def product_import_list(*, actor) -> QuerySet[ProductImport]:
    return scope_queryset(actor, ProductImport.objects.all()).select_related("created_by")


def product_import_get(*, actor, pk) -> ProductImport:
    return _get(product_import_list(actor=actor), pk, ProductNotFound, code="import_not_found")


# --- storefront ------------------------------------------------------------------------


def store_category_tree(*, actor) -> list[dict]:
    """Return the active category tree as nested dicts (one query; the same for everyone)."""
    rows = list(
        Category.objects.filter(is_active=True)
        .order_by("level", "sort_order", "id")
        .values("id", "code", "name", "level", "parent_id", "icon")
    )
    storage = Category._meta.get_field("icon").storage
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for row in rows:
        node = {
            "id": row["id"],
            "code": row["code"],
            "name": row["name"],
            "level": row["level"],
            "icon": storage.url(row["icon"]) if row["icon"] else "",
            "children": [],
        }
        nodes[row["id"]] = node
        if row["parent_id"] is None:
            roots.append(node)
        elif row["parent_id"] in nodes:
            nodes[row["parent_id"]]["children"].append(node)
        # a child of an inactive parent is hidden with it
    return roots


def store_product_list(*, actor) -> QuerySet[Product]:
    """On-shelf products of active categories that have a SKU (the same for everyone).

    SKUs come with their running promotions (``running_promotions``) and pictures
    are prefetched; ``catalog.filters.StoreProductFilter`` narrows the list.
    """
    now = timezone.now()
    products = (
        Product.objects.filter(status=Product.Status.ON_SHELF, category__is_active=True)
        .select_related("category")
        .filter(Exists(Sku.objects.filter(product=OuterRef("pk"))))
    )
    return products.prefetch_related(
        Prefetch(
            "skus",
            queryset=Sku.objects.order_by("sort_order", "id").prefetch_related(
                Prefetch(
                    "promotion_prices",
                    queryset=_active_promotions(now).order_by("price_amount"),
                    to_attr="running_promotions",
                )
            ),
        ),
        Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
    )


def store_product_get(*, actor, pk) -> Product:
    """Return an on-shelf product, or raise ``ProductNotFound`` (also for any other status)."""
    return _get(store_product_list(actor=actor), pk, ProductNotFound)
