"""Orders' provider of the hook ``members.rfm_source`` (contract in ``members/rfm.py``).

Which orders count for RFM (docs/RFM.md):

* paid in the window: ``paid_at`` in ``[start, end)``;
* not brushed (``is_brushed``: 刷单 found by risk control are no purchases);
* not cancelled or closed: an order cancelled after payment, or closed, was refunded in
  full (orders' rule), so it is neither a purchase nor money;
* not refunded in full (after-sales): what counts is ``paid_amount − refunded_amount``,
  and an order with nothing left of its payment is not counted either.

One row per member with at least one such order:
``(member_id, last_paid_at, order_count, monetary_amount)``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from mall.core.hooks import provide

from .models import Order

_EXCLUDED_STATUSES = (Order.Status.CANCELLED, Order.Status.CLOSED)


def rfm_source(*, start: datetime, end: datetime) -> tuple[str, list]:
    """Return the SQL and parameters of the members' paid orders in ``[start, end)``."""
    table = connection.ops.quote_name(Order._meta.db_table)
    sql = (
        "SELECT o.member_id AS member_id, MAX(o.paid_at) AS last_paid_at, "  # noqa: S608 - our table name; values are parameters
        "COUNT(*) AS order_count, SUM(o.paid_amount - o.refunded_amount) AS monetary_amount "
        f"FROM {table} o "
        "WHERE o.paid_at >= %s AND o.paid_at < %s AND o.is_brushed = %s "
        "AND o.status NOT IN (%s, %s) AND o.paid_amount > o.refunded_amount "
        "GROUP BY o.member_id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    return sql, [adapt(start), adapt(end), False, *[str(s) for s in _EXCLUDED_STATUSES]]


provide("members.rfm_source", "orders", rfm_source)
