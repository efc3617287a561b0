"""Counting rows of tables that grow without bound, without ``COUNT(*)`` over them.

``count_rows(queryset)`` answers how many rows a list shows, cheaply on PostgreSQL:

* the **whole table** (a queryset with no ``WHERE`` at all, e.g. a superuser's
  unfiltered changelist): the planner's estimate from ``pg_class`` (``reltuples``
  scaled to the table's current size, as the planner does) — "约 1,000,000";
* anything **filtered** — a data scope, a list filter, a search: a capped count over
  that very queryset, ``SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)``: exact up to
  ``cap``, else "超过 10,000";
* small tables (the estimate under ``cap``, or never analysed) and other databases
  (SQLite in the demo and tests): the exact ``COUNT(*)``.

What a count reveals. A reader must learn nothing about rows outside their scope, so
the whole-table estimate is used only when the reader's queryset *is* the whole table
(no condition at all, decided from the query, not from who asks). A scoped queryset
always carries its scope as a ``WHERE``, so it gets the capped count over exactly the
rows the reader may see: at most ``cap + 1`` of them, which paging would show anyway.
The planner's row estimate for a filtered query (``EXPLAIN``) is deliberately *not*
used: it is computed from whole-table statistics (``reltuples`` times a selectivity;
for conditions the planner cannot estimate, a fixed fraction of the table), so "your
12 rows" could read "约 5,000" — 0.5 % of the whole table — and reveal its size and
how rows spread over regions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext

# A filtered list counts at most this many rows; beyond, it says "more than".
COUNT_CAP = 10_000


@dataclass(frozen=True)
class RowCount:
    """How many rows a list has: exactly, about (table estimate), or more than."""

    EXACT = "exact"
    ABOUT = "about"
    MORE_THAN = "more_than"

    value: int
    kind: str = EXACT

    @property
    def is_exact(self) -> bool:
        return self.kind == self.EXACT

    def label(self) -> str:
        number = number_format(self.value if self.kind != self.MORE_THAN else self.value - 1)
        if self.kind == self.ABOUT:
            return gettext("about %(count)s") % {"count": number}
        if self.kind == self.MORE_THAN:
            return gettext("more than %(count)s") % {"count": number}
        return number


def is_whole_table(queryset: QuerySet) -> bool:
    """True if ``queryset`` selects every row of its model's table, one row each."""
    query = queryset.query
    return (
        not query.where
        and not query.distinct
        and query.combinator is None
        and not query.is_sliced
        and query.group_by is None
        and len(query.alias_map) <= 1
        and not queryset.model._meta.parents
    )


def table_estimate(model, *, using: str = "default") -> int | None:
    """The planner's row estimate for ``model``'s table (PostgreSQL), or ``None``."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT CASE
                WHEN c.reltuples < 0 THEN NULL
                WHEN c.relpages = 0 THEN c.reltuples
                ELSE c.reltuples / c.relpages
                     * (pg_relation_size(c.oid) / current_setting('block_size')::int)
            END
            FROM pg_class c WHERE c.oid = %s::regclass
            """,
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return int(row[0])


def count_rows(queryset: QuerySet, *, cap: int = COUNT_CAP) -> RowCount:
    """Count ``queryset``'s rows; on PostgreSQL estimate or cap (see the module doc)."""
    if connections[queryset.db].vendor != "postgresql":
        return RowCount(queryset.count())
    if is_whole_table(queryset):
        estimate = table_estimate(queryset.model, using=queryset.db)
        if estimate is not None and estimate > cap:
            return RowCount(estimate, RowCount.ABOUT)
        return RowCount(queryset.count())
    capped = queryset.order_by().values("pk")[: cap + 1].count()
    if capped > cap:
        return RowCount(cap + 1, RowCount.MORE_THAN)
    return RowCount(capped)
