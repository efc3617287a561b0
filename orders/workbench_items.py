"""Orders on the workbench (工作台): trade figures, orders waiting for review, late clocks.

Every figure is read through ``selectors.order_list(actor=…)`` — the reader's data
scope (a regional ops user sees their regions' trade, a channel operator their
channel's) — with brushed orders (``is_brushed``, found by risk) left out. The
figures of one page view come from one aggregate query over the orders placed in the
last 7 days (the ``(created_at, id)`` index), kept on the reader for the request.

* GMV: the paid amount of orders placed today / in the last 7 days and paid;
* orders: placed today / in the last 7 days;
* paid conversion: paid ÷ placed (7 days); average order value: GMV ÷ paid orders;
* refund rate: refunded ÷ paid amount (7 days);
* orders waiting for review (not held), breached order clocks, orders per day (chart).

Each item shows only to readers with ``orders.view_order`` (review: ``review_order``).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from ops.workbench import Chart, ChartData, Tile, register

from . import selectors
from .models import Order
from .permissions import REVIEW_ORDER, VIEW_ORDER

_STATS_SECONDS = 30


def _may_view(actor) -> bool:
    return actor.has_perm(VIEW_ORDER)


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _orders(actor):
    return selectors.order_list(actor=actor).filter(is_brushed=False).order_by()


def trade_stats(*, actor, now=None) -> dict:
    """The reader's trade figures (today and the last 7 days, today included)."""
    cached = getattr(actor, "_orders_trade_stats", None)
    if now is None and cached is not None and time.monotonic() - cached[0] < _STATS_SECONDS:
        return cached[1]
    now = now or timezone.now()
    today = timezone.localdate(now)
    today_start = _day_start(today)
    week_start = _day_start(today - timedelta(days=6))
    paid = Q(paid_at__isnull=False)
    is_today = Q(created_at__gte=today_start)
    row = (
        _orders(actor)
        .filter(created_at__gte=week_start, created_at__lte=now)
        .aggregate(
            orders_7d=Count("id"),
            orders_today=Count("id", filter=is_today),
            paid_7d=Count("id", filter=paid),
            gmv_7d=Sum("paid_amount", filter=paid),
            gmv_today=Sum("paid_amount", filter=paid & is_today),
            refunded_7d=Sum("refunded_amount", filter=paid),
        )
    )
    zero = Decimal("0.00")
    gmv_7d = row["gmv_7d"] or zero
    stats = {
        "orders_today": row["orders_today"],
        "orders_7d": row["orders_7d"],
        "paid_7d": row["paid_7d"],
        "gmv_today": row["gmv_today"] or zero,
        "gmv_7d": gmv_7d,
        "conversion_7d": (
            Decimal(row["paid_7d"]) / Decimal(row["orders_7d"]) if row["orders_7d"] else None
        ),
        "aov_7d": (gmv_7d / row["paid_7d"]).quantize(Decimal("0.01")) if row["paid_7d"] else None,
        "refund_rate_7d": ((row["refunded_7d"] or zero) / gmv_7d) if gmv_7d else None,
    }
    actor._orders_trade_stats = (time.monotonic(), stats)
    return stats


def _money(value) -> str:
    return "¥" + formats.number_format(value or Decimal("0.00"), 2, force_grouping=True)


def _percent(value) -> str:
    if value is None:
        return "—"
    return formats.number_format(value * 100, 1) + "%"


def _orders_link(actor) -> str:
    return reverse("admin:orders_order_changelist")


def _placed_since_link(days_back: int):
    """The order list filtered like its "placed at" filter's today / past-7-days links."""

    def link(actor) -> str:
        today = timezone.localdate()
        since = _day_start(today - timedelta(days=days_back))
        until = _day_start(today + timedelta(days=1))
        query = urlencode({"created_at__gte": str(since), "created_at__lt": str(until)})
        return f"{_orders_link(actor)}?{query}"

    return link


register(
    Tile(
        key="orders.gmv_today",
        title=_("GMV today"),
        hint=_("paid amount of today's orders in your scope"),
        icon="payments",
        count=lambda actor: _money(trade_stats(actor=actor)["gmv_today"]),
        link=_placed_since_link(0),
        visible=_may_view,
        order=20,
    )
)
register(
    Tile(
        key="orders.gmv_7d",
        title=_("GMV, last 7 days"),
        hint=_("paid amount of the orders placed in the last 7 days"),
        icon="monitoring",
        count=lambda actor: _money(trade_stats(actor=actor)["gmv_7d"]),
        link=_placed_since_link(6),
        visible=_may_view,
        order=21,
    )
)
register(
    Tile(
        key="orders.orders_today",
        title=_("Orders today"),
        hint=_("orders placed today in your scope"),
        icon="receipt_long",
        count=lambda actor: trade_stats(actor=actor)["orders_today"],
        link=_placed_since_link(0),
        visible=_may_view,
        order=22,
    )
)
register(
    Tile(
        key="orders.orders_7d",
        title=_("Orders, last 7 days"),
        hint=_("orders placed in the last 7 days"),
        icon="shopping_bag",
        count=lambda actor: trade_stats(actor=actor)["orders_7d"],
        link=_placed_since_link(6),
        visible=_may_view,
        order=23,
    )
)
register(
    Tile(
        key="orders.conversion_7d",
        title=_("Paid conversion, 7 days"),
        hint=_("paid orders ÷ orders placed"),
        icon="conversion_path",
        count=lambda actor: _percent(trade_stats(actor=actor)["conversion_7d"]),
        visible=_may_view,
        order=24,
    )
)
register(
    Tile(
        key="orders.aov_7d",
        title=_("Average order value, 7 days"),
        hint=_("GMV ÷ paid orders"),
        icon="price_check",
        count=lambda actor: (
            _money(trade_stats(actor=actor)["aov_7d"])
            if trade_stats(actor=actor)["aov_7d"] is not None
            else "—"
        ),
        visible=_may_view,
        order=25,
    )
)
register(
    Tile(
        key="orders.refund_rate_7d",
        title=_("Refund rate, 7 days"),
        hint=_("refunded ÷ paid amount"),
        icon="currency_exchange",
        count=lambda actor: _percent(trade_stats(actor=actor)["refund_rate_7d"]),
        visible=_may_view,
        tone=lambda actor: (
            "warning"
            if (trade_stats(actor=actor)["refund_rate_7d"] or 0) > Decimal("0.05")
            else "info"
        ),
        order=26,
    )
)


def review_waiting_count(*, actor) -> int:
    """Orders in the reader's scope waiting for review and not held."""
    return _orders(actor).filter(status=Order.Status.PENDING_REVIEW, is_review_held=False).count()


register(
    Tile(
        key="orders.review_waiting",
        title=_("Orders to review"),
        hint=_("paid orders waiting for review (10 minutes)"),
        icon="fact_check",
        count=lambda actor: review_waiting_count(actor=actor),
        link=lambda actor: _orders_link(actor) + "?tab=pending_review",
        visible=lambda actor: actor.has_perm(REVIEW_ORDER),
        tone=lambda actor: "warning" if review_waiting_count(actor=actor) else "success",
        order=12,
    )
)


def breached_clocks(*, actor):
    """Breached order clocks still running (review, shipping, …) in the reader's scope."""
    from django.contrib.contenttypes.models import ContentType

    from ops.models import SlaClock
    from ops.selectors import sla_clock_list

    return sla_clock_list(actor=actor).filter(
        subject_type=ContentType.objects.get_for_model(Order),
        status=SlaClock.Status.BREACHED,
        closed_at__isnull=True,
    )


register(
    Tile(
        key="orders.clocks_breached",
        title=_("Order clocks breached"),
        hint=_("order deadlines passed and still open"),
        icon="alarm",
        count=lambda actor: breached_clocks(actor=actor).count(),
        link=lambda actor: reverse("admin:ops_slaclock_changelist") + "?state=overdue",
        visible=lambda actor: _may_view(actor) and actor.has_perm("ops.view_slaclock"),
        tone=lambda actor: "danger" if breached_clocks(actor=actor).exists() else "success",
        order=13,
    )
)


def orders_per_day(*, actor, now=None) -> ChartData:
    """Orders placed and paid per day over the last 7 days, in the reader's scope."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = [today - timedelta(days=offset) for offset in range(6, -1, -1)]
    rows = (
        _orders(actor)
        .filter(created_at__gte=_day_start(days[0]), created_at__lte=now)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(placed=Count("id"), paid=Count("id", filter=Q(paid_at__isnull=False)))
    )
    by_day = {row["day"]: row for row in rows}
    return ChartData(
        labels=[formats.date_format(day, "m-d") for day in days],
        series=[
            (_("orders placed"), [by_day.get(day, {}).get("placed", 0) for day in days]),
            (_("orders paid"), [by_day.get(day, {}).get("paid", 0) for day in days]),
        ],
    )


register(
    Chart(
        key="orders.per_day",
        title=_("Orders per day (7 days)"),
        data=lambda actor: orders_per_day(actor=actor),
        kind="bar",
        visible=_may_view,
        order=30,
    )
)
