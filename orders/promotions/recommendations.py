"""Recommendations: "bought together" and "for you", computed nightly in SQL.

Both tables are rebuilt by one set-based statement each, replacing the old rows in
one transaction (readers see the old table or the new one, never half of each):

* ``ProductAffinity`` — for each product, the products that were in the same orders:
  ``support`` = number of orders holding both. Orders counted: paid
  (``paid_at`` set) within ``promotions.recommendation_window_days``, not brushed
  (``is_brushed``), not cancelled; gift lines (``is_gift``) are not purchases and are
  left out. The top :data:`TOP_N` per product are kept.
* ``MemberRecommendation`` — for each member (not closed) with such orders: the
  on-shelf products of active categories the member bought from, ranked by units
  sold in the window (``score``), leaving out what the member bought in the window;
  the top :data:`TOP_N` per member.

Reads filter again at read time (the catalog changes during the day): on shelf, in
an active category, with a SKU that has sellable stock (``catalog.availability``).
When a table holds nothing servable the reads fall back to the window's best
sellers (then to on-shelf products) so the storefront shelf is never empty.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from mall.core.audit import audit
from ops.parameters import get_parameter

from ..models import MemberRecommendation, Order, OrderLine, ProductAffinity
from ..parameters import RECOMMENDATION_WINDOW_DAYS

TOP_N = 20  # rows kept per product / member
SERVED = 10  # products a read returns


def _tables() -> dict[str, str]:
    from catalog.models import Category, Product, Sku
    from members.models import Member

    quote = connection.ops.quote_name
    return {
        "order": quote(Order._meta.db_table),
        "line": quote(OrderLine._meta.db_table),
        "sku": quote(Sku._meta.db_table),
        "product": quote(Product._meta.db_table),
        "category": quote(Category._meta.db_table),
        "member": quote(Member._meta.db_table),
        "affinity": quote(ProductAffinity._meta.db_table),
        "rec": quote(MemberRecommendation._meta.db_table),
    }


# Lines of the counted orders: one row per (order, member, product), gifts left out.
_BOUGHT = """
bought AS (
    SELECT DISTINCT o.id AS order_id, o.member_id AS member_id, s.product_id AS product_id
    FROM {line} l
    JOIN {order} o ON o.id = l.order_id
    JOIN {sku} s ON s.id = l.sku_id
    WHERE o.paid_at IS NOT NULL AND o.paid_at >= %(since)s
      AND o.is_brushed = %(false)s AND o.status <> %(cancelled)s
      AND l.is_gift = %(false)s
)"""

_AFFINITY_SQL = (  # table names are ours (format); values are parameters
    "WITH"  # noqa: S608
    + _BOUGHT
    + """,
pairs AS (
    SELECT a.product_id AS product_id, b.product_id AS related_id, COUNT(*) AS support
    FROM bought a
    JOIN bought b ON b.order_id = a.order_id AND b.product_id <> a.product_id
    GROUP BY a.product_id, b.product_id
),
ranked AS (
    SELECT product_id, related_id, support,
           ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY support DESC, related_id) AS row_pos
    FROM pairs
)
INSERT INTO {affinity} (product_id, related_id, support, computed_at)
SELECT product_id, related_id, support, %(now)s FROM ranked WHERE row_pos <= %(top)s
"""
)

_MEMBER_SQL = (
    "WITH"  # noqa: S608
    + _BOUGHT
    + """,
sales AS (
    SELECT s.product_id AS product_id, SUM(l.quantity) AS units
    FROM {line} l
    JOIN {order} o ON o.id = l.order_id
    JOIN {sku} s ON s.id = l.sku_id
    WHERE o.paid_at IS NOT NULL AND o.paid_at >= %(since)s
      AND o.is_brushed = %(false)s AND o.status <> %(cancelled)s
      AND l.is_gift = %(false)s
    GROUP BY s.product_id
),
member_categories AS (
    SELECT DISTINCT b.member_id AS member_id, p.category_id AS category_id
    FROM bought b
    JOIN {product} p ON p.id = b.product_id
    JOIN {member} m ON m.id = b.member_id
    WHERE m.status <> %(closed)s
),
candidates AS (
    SELECT mc.member_id AS member_id, p.id AS product_id, COALESCE(sales.units, 0) AS units
    FROM member_categories mc
    JOIN {product} p ON p.category_id = mc.category_id AND p.status = %(on_shelf)s
    JOIN {category} c ON c.id = p.category_id AND c.is_active = %(true)s
    LEFT JOIN sales ON sales.product_id = p.id
    WHERE NOT EXISTS (
        SELECT 1 FROM bought b WHERE b.member_id = mc.member_id AND b.product_id = p.id
    )
),
ranked AS (
    SELECT member_id, product_id, units,
           ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY units DESC, product_id) AS row_pos
    FROM candidates
)
INSERT INTO {rec} (member_id, product_id, score, computed_at)
SELECT member_id, product_id, units, %(now)s FROM ranked WHERE row_pos <= %(top)s
"""
)


def recommendations_rebuild(*, actor, now: datetime | None = None) -> dict:
    """Rebuild both tables from the window's paid orders (nightly job); return row counts."""
    from catalog.models import Product
    from members.models import Member

    now = now or timezone.now()
    since = now - timedelta(days=get_parameter(RECOMMENDATION_WINDOW_DAYS))
    params = {
        "since": since,
        "now": now,
        "top": TOP_N,
        "true": True,
        "false": False,
        "cancelled": Order.Status.CANCELLED,
        "closed": Member.Status.CLOSED,
        "on_shelf": Product.Status.ON_SHELF,
    }
    tables = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {tables['affinity']}")  # noqa: S608 - our table name
        cursor.execute(_AFFINITY_SQL.format(**tables), params)
        cursor.execute(f"DELETE FROM {tables['rec']}")  # noqa: S608 - our table name
        cursor.execute(_MEMBER_SQL.format(**tables), params)
        counts = {
            "affinities": ProductAffinity.objects.count(),
            "member_recommendations": MemberRecommendation.objects.count(),
        }
        audit(
            actor=actor,
            action="promotions.recommendations_rebuild",
            object_type="orders.productaffinity",
            data={**counts, "since": since.isoformat()},
        )
    return counts


# --- reads (storefront) ----------------------------------------------------------------


def _servable(product_ids: list[int], *, limit: int, exclude: Set[int] = frozenset()) -> list:
    """The products among ``product_ids`` the storefront may show, in that order.

    On shelf in an active category (``catalog.selectors.store_product_list``) and with
    at least one SKU with sellable stock.
    """
    from catalog.availability import sellable_stock
    from catalog.selectors import store_product_list

    wanted = [pk for pk in dict.fromkeys(product_ids) if pk not in exclude]
    if not wanted:
        return []
    products = store_product_list(actor=None).in_bulk(wanted)
    sku_ids = [sku.pk for product in products.values() for sku in product.skus.all()]
    stock = sellable_stock(sku_ids)
    served = []
    for pk in wanted:
        product = products.get(pk)
        if product is None:
            continue
        if any(stock.get(sku.pk, 0) > 0 for sku in product.skus.all()):
            served.append(product)
            if len(served) >= limit:
                break
    return served


def _best_seller_ids(*, now: datetime, count: int) -> list[int]:
    since = now - timedelta(days=get_parameter(RECOMMENDATION_WINDOW_DAYS))
    rows = (
        OrderLine.objects.filter(
            order__paid_at__isnull=False,
            order__paid_at__gte=since,
            order__is_brushed=False,
            is_gift=False,
        )
        .exclude(order__status=Order.Status.CANCELLED)
        .values("sku__product_id")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "sku__product_id")[:count]
    )
    return [row["sku__product_id"] for row in rows]


def best_sellers(*, actor, exclude: Set[int] = frozenset(), limit: int = SERVED) -> list:
    """The window's best sellers the storefront may show, padded with on-shelf products."""
    from catalog.selectors import store_product_list

    now = timezone.now()
    served = _servable(_best_seller_ids(now=now, count=limit * 5), limit=limit, exclude=exclude)
    if len(served) < limit:
        seen = exclude | {product.pk for product in served}
        more = store_product_list(actor=None).exclude(pk__in=seen).order_by("-id")
        more_ids = list(more.values_list("pk", flat=True)[: limit * 5])
        served += _servable(more_ids, limit=limit - len(served), exclude=seen)
    return served


def product_related(*, actor, product, limit: int = SERVED) -> list:
    """ "Bought together" with ``product`` (most orders together first), servable only."""
    ids = list(
        ProductAffinity.objects.filter(product=product)
        .order_by("-support", "related_id")
        .values_list("related_id", flat=True)
    )
    served = _servable(ids, limit=limit, exclude={product.pk})
    return served or best_sellers(actor=actor, exclude={product.pk}, limit=limit)


def member_recommendations(*, actor, member, limit: int = SERVED) -> list:
    """ "For you" of ``member`` (best score first), servable only; else best sellers."""
    ids = list(
        MemberRecommendation.objects.filter(member=member)
        .order_by("-score", "product_id")
        .values_list("product_id", flat=True)
    )
    return _servable(ids, limit=limit) or best_sellers(actor=actor, limit=limit)
