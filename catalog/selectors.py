"""Every read of the catalog served to a person, a report or another app.

Staff reads start from the ``*_visible_to(actor)`` functions (the data scope: a
product belongs to its owner and the owner's department). Storefront reads show
on-shelf products only. Other apps use :func:`sku_get_by_code` /
:func:`skus_by_codes` and :func:`sku_current_prices`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
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

# --- staff -----------------------------------------------------------------------------


def product_visible_to(actor) -> QuerySet[Product]:
    """Products ``actor`` may see (their data scope)."""
    return scope_queryset(actor, Product.objects.all())


def product_list(
    *,
    actor,
    status: str | None = None,
    category_id: int | None = None,
    owner_id: int | None = None,
    q: str | None = None,
) -> QuerySet[Product]:
    """List products in scope, filtered; related rows prefetched for constant queries."""
    products = product_visible_to(actor).select_related(
        "category", "owner", "created_by", "submitted_by"
    )
    if status:
        products = products.filter(status=status)
    if category_id:
        products = products.filter(_category_filter(category_id))
    if owner_id:
        products = products.filter(owner_id=owner_id)
    if q:
        products = products.filter(
            Q(title__icontains=q) | Q(code__icontains=q) | Q(skus__code=q) | Q(brand__icontains=q)
        ).distinct()
    return products.prefetch_related(
        Prefetch("skus", queryset=Sku.objects.order_by("sort_order", "id")),
        Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
    )


def product_get(*, actor, product_id) -> Product:
    """Return one product in ``actor``'s scope, or raise ``ProductNotFound``."""
    try:
        return product_list(actor=actor).get(pk=int(product_id))
    except (Product.DoesNotExist, TypeError, ValueError):
        raise ProductNotFound() from None


def product_history(*, actor, product: Product) -> QuerySet[ProductEvent]:
    """The product's events, oldest first, with the real names of who acted."""
    return (
        scope_queryset(actor, ProductEvent.objects.filter(product=product))
        .select_related("actor")
        .order_by("id")
    )


def sku_visible_to(actor) -> QuerySet[Sku]:
    return scope_queryset(actor, Sku.objects.all())


def sku_get(*, actor, sku_id) -> Sku:
    try:
        return sku_visible_to(actor).select_related("product").get(pk=int(sku_id))
    except (Sku.DoesNotExist, TypeError, ValueError):
        raise SkuNotFound() from None


def sku_price_history(*, actor, sku: Sku) -> QuerySet[SkuPriceChange]:
    return (
        scope_queryset(actor, SkuPriceChange.objects.filter(sku=sku))
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )


def promotion_visible_to(actor) -> QuerySet[PromotionPrice]:
    return scope_queryset(actor, PromotionPrice.objects.all()).select_related(
        "sku", "sku__product", "created_by"
    )


def promotion_get(*, actor, promotion_id) -> PromotionPrice:
    try:
        return promotion_visible_to(actor).get(pk=int(promotion_id))
    except (PromotionPrice.DoesNotExist, TypeError, ValueError):
        raise ProductNotFound(code="promotion_not_found") from None


def category_list(*, actor) -> QuerySet[Category]:
    return scope_queryset(actor, Category.objects.all()).select_related("parent")


def category_get(*, actor, category_id) -> Category:
    try:
        return category_list(actor=actor).get(pk=int(category_id))
    except (Category.DoesNotExist, TypeError, ValueError):
        raise CategoryNotFound() from None


def category_change_list(*, actor) -> QuerySet[CategoryChangeRequest]:
    return scope_queryset(actor, CategoryChangeRequest.objects.all()).select_related(
        "category", "requested_by", "decided_by"
    )


def category_change_get(*, actor, change_id) -> CategoryChangeRequest:
    try:
        return category_change_list(actor=actor).get(pk=int(change_id))
    except (CategoryChangeRequest.DoesNotExist, TypeError, ValueError):
        raise CategoryNotFound(code="category_change_not_found") from None


def product_import_list(*, actor) -> QuerySet[ProductImport]:
    return scope_queryset(actor, ProductImport.objects.all()).select_related("created_by")


def product_import_get(*, actor, import_id) -> ProductImport:
    try:
        return product_import_list(actor=actor).get(pk=int(import_id))
    except (ProductImport.DoesNotExist, TypeError, ValueError):
        raise ProductNotFound(code="import_not_found") from None


# --- prices ----------------------------------------------------------------------------


def active_promotions(now: datetime | None = None) -> QuerySet[PromotionPrice]:
    now = now or timezone.now()
    return PromotionPrice.objects.filter(
        status=PromotionPrice.Status.ACTIVE, starts_at__lte=now, ends_at__gt=now
    )


def sku_current_prices(
    sku_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, Decimal]:
    """Return what each SKU sells for right now (the promotion price while one runs)."""
    ids = sorted({int(pk) for pk in sku_ids})
    prices = dict(Sku.objects.filter(pk__in=ids).values_list("pk", "price_amount"))
    for sku_id, price in (
        active_promotions(now).filter(sku_id__in=ids).values_list("sku_id", "price_amount")
    ):
        prices[sku_id] = min(prices.get(sku_id, price), price)
    return prices


# --- other apps ------------------------------------------------------------------------


def sku_get_by_code(code: str, *, actor=None) -> Sku:
    """Return the SKU with ``code`` (scoped to ``actor`` when given) or raise ``SkuNotFound``.

    Without an actor this is a system read for other apps' services (orders, dispatch).
    """
    skus = Sku.objects.all() if actor is None else sku_visible_to(actor)
    sku = skus.select_related("product").filter(code=str(code)).first()
    if sku is None:
        raise SkuNotFound()
    return sku


def skus_by_codes(codes: Iterable[str]) -> dict[str, Sku]:
    """Return ``{code: Sku}`` for the codes that exist (one query; system read)."""
    wanted = {str(code) for code in codes}
    return {
        sku.code: sku
        for sku in Sku.objects.select_related("product", "product__category").filter(
            code__in=wanted
        )
    }


def sku_is_sellable(sku: Sku) -> bool:
    """Whether the storefront may sell ``sku`` now (its product on shelf, itself available)."""
    return sku.is_available and sku.product.status == Product.Status.ON_SHELF


# --- storefront ------------------------------------------------------------------------


def _category_filter(category_id) -> Q:
    """Products in ``category_id`` or any category below it."""
    return (
        Q(category_id=category_id)
        | Q(category__parent_id=category_id)
        | Q(category__parent__parent_id=category_id)
    )


def store_category_tree() -> list[dict]:
    """Return the active category tree as nested dicts (one query)."""
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


def store_products(*, category_id=None, q: str | None = None) -> QuerySet[Product]:
    """On-shelf products for the storefront, filtered by category (any level) and text."""
    now = timezone.now()
    products = Product.objects.filter(
        status=Product.Status.ON_SHELF, category__is_active=True
    ).select_related("category")
    if category_id:
        products = products.filter(_category_filter(category_id))
    if q:
        q = q.strip()
        products = products.filter(
            Q(title__icontains=q) | Q(subtitle__icontains=q) | Q(brand__icontains=q)
        )
    products = products.filter(Exists(Sku.objects.filter(product=OuterRef("pk"))))
    return products.prefetch_related(
        Prefetch(
            "skus",
            queryset=Sku.objects.order_by("sort_order", "id").prefetch_related(
                Prefetch(
                    "promotion_prices",
                    queryset=active_promotions(now).order_by("price_amount"),
                    to_attr="running_promotions",
                )
            ),
        ),
        Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
    )


def store_product_get(product_id) -> Product:
    """Return an on-shelf product, or raise ``ProductNotFound`` (also for any other status)."""
    try:
        return store_products().get(pk=int(product_id))
    except (Product.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ProductNotFound() from None
