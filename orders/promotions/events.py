"""Storefront view counts (``POST /api/v1/store/events/``) for the conversion figures.

One ``StoreEventCount`` row per (type, object, day) holds the number of views; a view
adds one with a single ``INSERT … ON CONFLICT DO UPDATE`` (no read, no lock, no race
between two views of the same object).

An unknown object id is answered like a known one (202) but counted nowhere: the
endpoint must not become an oracle of which products or sessions exist, and counts
of objects that do not exist would only fill the table. The product must be on shelf
in an active category (what the storefront shows); a session must be approved,
running or ended (a draft is not public).

Views are not audited: they are anonymous traffic, counted, not decisions.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.utils import timezone

from ..models import FlashSession, StoreEventCount

PUBLIC_SESSION_STATUSES = ("approved", "running", "ended")


def _object_exists(event_type: str, object_id: int) -> bool:
    if event_type == StoreEventCount.Type.PRODUCT_VIEW:
        from catalog.models import Product

        return Product.objects.filter(
            pk=object_id, status=Product.Status.ON_SHELF, category__is_active=True
        ).exists()
    if event_type == StoreEventCount.Type.SESSION_VIEW:
        return FlashSession.objects.filter(
            pk=object_id, status__in=PUBLIC_SESSION_STATUSES
        ).exists()
    return False


def store_event_record(*, actor, event_type: str, object_id: int, day: date | None = None) -> bool:
    """Count one view of ``object_id``; return whether it was counted.

    ``actor`` is the member or ``None`` (a guest); the count is the same for both.
    Objects that do not exist (or are not public) are not counted (see the module
    docstring); the caller answers 202 either way.
    """
    if event_type not in StoreEventCount.Type.values:
        raise ValueError(f"unknown event type {event_type!r}")
    if not _object_exists(event_type, object_id):
        return False
    day = day or timezone.localdate()
    table = connection.ops.quote_name(StoreEventCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (type, object_id, day, views) VALUES (%s, %s, %s, 1) "  # noqa: S608 - the table name is ours
            "ON CONFLICT (type, object_id, day) DO UPDATE SET views = "
            f"{table}.views + 1",
            [event_type, object_id, day],
        )
    return True
