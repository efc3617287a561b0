"""The KPI computations of the dashboard and the reports (seed 001 §二(五)); always scoped.

Every figure starts from ``orders.selectors.order_list(actor=…)`` — the reader's data
scope (a regional reader: their regions' orders; a channel operator: their channel's) —
with brushed orders (``Order.is_brushed``, found by risk) left out, read from the
replica when one is configured (``mall.core.db_router.read_db``). A region or channel
filter narrows that scoped set further; it never widens it, so a regional reader who
asks for another region gets that region's intersection with their scope: nothing.

Definitions (docs/REPORTS.md), for the orders **placed** in a window ``[start, end)``:

* **orders** — orders placed (any status, brushed ones out);
* **paid orders** — of those, the ones paid (``paid_at`` set);
* **GMV** — Σ ``paid_amount`` of the paid orders;
* **paid conversion** — paid orders ÷ orders;
* **average order value** — GMV ÷ paid orders (to the cent, half-up);
* **buyers** — distinct members with a paid order; **repeat-purchase rate** — buyers
  with ≥ 2 paid orders ÷ buyers;
* **retention** — buyers of the previous window of the same length who bought again in
  this one ÷ buyers of the previous window;
* **refund rate** — Σ ``refunded_amount`` ÷ GMV of the paid orders (refunds made at any
  time up to now on the window's orders);
* **new members** — members registered in the window, read through
  ``members.selectors.member_list`` (a member belongs to the sales region of their
  default address; a member without one counts only for scope "all"); with a region
  filter, that region's new members; with a channel filter none (members have no
  channel: ``None``).

Ratios are ``Decimal`` rounded half-up to four places (0.1263 = 12.63 %); ``None`` when
the denominator is zero.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from mall.core.db_router import read_db
from mall.core.money import to_money
from mall.core.scoping import sees_every_row

from .periods import PERIODS, Window, days_window, period_window  # noqa: F401 - re-exported

ZERO = Decimal("0.00")
RATIO = Decimal("0.0001")
TREND_DAYS = 30
_PAID = Q(paid_at__isnull=False)


def _ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP)


# --- the scoped sets ------------------------------------------------------------------


def order_base(*, actor, region: str = "", channel: str = "") -> QuerySet:
    """Return the orders behind every figure: the reader's scope, brushed ones out."""
    from orders.selectors import order_list

    queryset = order_list(actor=actor).using(read_db()).filter(is_brushed=False)
    if region:
        queryset = queryset.filter(region__code=region)
    if channel:
        queryset = queryset.filter(channel__code=channel)
    return queryset.order_by()


def _placed(queryset: QuerySet, window: Window) -> QuerySet:
    return queryset.filter(created_at__gte=window.start, created_at__lt=window.end)


def _buyers(queryset: QuerySet, window: Window) -> QuerySet:
    return _placed(queryset, window).filter(_PAID).values("member_id").distinct()


def new_member_count(*, actor, window: Window, region: str = "", channel: str = "") -> int | None:
    """Return the members registered in ``window`` the reader may see (None by channel)."""
    from members.selectors import member_list

    if channel:
        return None
    members = member_list(actor=actor).using(read_db()).order_by()
    if region:
        members = members.filter(region__code=region)
    return members.filter(created_at__gte=window.start, created_at__lt=window.end).count()


def kpi_figures(*, actor, window: Window, region: str = "", channel: str = "") -> dict:
    """Return every KPI of the orders placed in ``window`` in the reader's scope."""
    base = order_base(actor=actor, region=region, channel=channel)
    placed = _placed(base, window)
    row = placed.aggregate(
        orders=Count("id"),
        paid_orders=Count("id", filter=_PAID),
        gmv=Sum("paid_amount", filter=_PAID),
        refunded=Sum("refunded_amount", filter=_PAID),
    )
    gmv = row["gmv"] or ZERO
    refunded = row["refunded"] or ZERO
    per_member = placed.filter(_PAID).values("member_id").annotate(n=Count("id")).order_by()
    buyers = per_member.count()
    repeat_buyers = per_member.filter(n__gte=2).count()
    previous_buyers = _buyers(base, window.previous())
    previous_count = previous_buyers.count()
    retained = (
        _buyers(base, window).filter(member_id__in=previous_buyers.values("member_id")).count()
        if previous_count
        else 0
    )
    return {
        "orders": row["orders"],
        "paid_orders": row["paid_orders"],
        "gmv": gmv,
        "paid_conversion": _ratio(row["paid_orders"], row["orders"]),
        "average_order_value": to_money(gmv / row["paid_orders"]) if row["paid_orders"] else None,
        "new_members": new_member_count(actor=actor, window=window, region=region, channel=channel),
        "buyers": buyers,
        "repeat_buyers": repeat_buyers,
        "repeat_purchase_rate": _ratio(repeat_buyers, buyers),
        "previous_buyers": previous_count,
        "retained_buyers": retained,
        "retention_rate": _ratio(retained, previous_count),
        "refunded": refunded,
        "refund_rate": _ratio(refunded, gmv),
    }


def kpi_breakdown(
    *, actor, window: Window, by: str, region: str = "", channel: str = ""
) -> list[dict]:
    """Return orders, paid orders, GMV, conversion, AOV and refund rate per region or channel.

    ``by`` is ``"region"`` or ``"channel"``; only the groups with orders in the reader's
    scope appear (a regional reader's table lists their regions only).
    """
    if by not in ("region", "channel"):
        raise ValueError(by)
    rows = (
        _placed(order_base(actor=actor, region=region, channel=channel), window)
        .values(f"{by}__code", f"{by}__name")
        .annotate(
            orders=Count("id"),
            paid_orders=Count("id", filter=_PAID),
            gmv=Sum("paid_amount", filter=_PAID),
            refunded=Sum("refunded_amount", filter=_PAID),
        )
        .order_by(f"{by}__code")
    )
    result = []
    for row in rows:
        gmv = row["gmv"] or ZERO
        result.append(
            {
                "code": row[f"{by}__code"],
                "name": row[f"{by}__name"],
                "orders": row["orders"],
                "paid_orders": row["paid_orders"],
                "gmv": gmv,
                "paid_conversion": _ratio(row["paid_orders"], row["orders"]),
                "average_order_value": (
                    to_money(gmv / row["paid_orders"]) if row["paid_orders"] else None
                ),
                "refund_rate": _ratio(row["refunded"] or ZERO, gmv),
            }
        )
    return result


def kpi_daily(*, actor, window: Window, region: str = "", channel: str = "") -> list[dict]:
    """Return GMV, orders and paid orders per local day of ``window`` (days without: 0)."""
    rows = (
        _placed(order_base(actor=actor, region=region, channel=channel), window)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            orders=Count("id"),
            paid_orders=Count("id", filter=_PAID),
            gmv=Sum("paid_amount", filter=_PAID),
        )
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    first = timezone.localdate(window.start)
    result = []
    for offset in range(window.days):
        day = first + timedelta(days=offset)
        row = by_day.get(day, {})
        result.append(
            {
                "day": day,
                "orders": row.get("orders", 0),
                "paid_orders": row.get("paid_orders", 0),
                "gmv": row.get("gmv") or ZERO,
            }
        )
    return result


def dashboard_choices(*, actor) -> dict[str, list[tuple[str, str]]]:
    """Return the regions and channels the reader may filter by: those of their scope.

    A reader with scope "all" picks from every region and channel; anybody else from
    the regions and channels of the orders they can see (placed in the last 60 days,
    the span the dashboard reads), so no choice names anything outside their scope.
    """
    from orders.models import Order, SalesChannel
    from rbac.models import SalesRegion

    if sees_every_row(actor, Order):
        regions = SalesRegion.objects.using(read_db()).order_by("code").values_list("code", "name")
        channels = (
            SalesChannel.objects.using(read_db()).order_by("code").values_list("code", "name")
        )
        return {"regions": list(regions), "channels": list(channels)}
    since = timezone.now() - timedelta(days=2 * TREND_DAYS)
    recent = order_base(actor=actor).filter(created_at__gte=since)
    regions = recent.values_list("region__code", "region__name").distinct().order_by("region__code")
    channels = (
        recent.values_list("channel__code", "channel__name").distinct().order_by("channel__code")
    )
    return {"regions": list(regions), "channels": list(channels)}


def dashboard_get(
    *, actor, period: str = "7d", region: str = "", channel: str = "", now: datetime | None = None
) -> dict:
    """Return the dashboard of ``period``: KPIs now and before, per region and channel, trend.

    ``cards`` holds the KPIs of today, 7 and 30 days with their previous windows;
    ``current`` / ``previous`` are the chosen period's; ``trend`` the last 30 days.
    """
    now = now or timezone.now()
    cards = {}
    for name in PERIODS:
        window = period_window(name, now=now)
        cards[name] = {
            "current": kpi_figures(actor=actor, window=window, region=region, channel=channel),
            "previous": kpi_figures(
                actor=actor, window=window.previous(), region=region, channel=channel
            ),
        }
    window = period_window(period, now=now)
    trend_window = period_window("30d", now=now)
    return {
        "period": period,
        "region": region,
        "channel": channel,
        "start": window.start,
        "end": window.end,
        "cards": cards,
        "current": cards[period]["current"],
        "previous": cards[period]["previous"],
        "by_region": kpi_breakdown(
            actor=actor, window=window, by="region", region=region, channel=channel
        ),
        "by_channel": kpi_breakdown(
            actor=actor, window=window, by="channel", region=region, channel=channel
        ),
        "trend": kpi_daily(actor=actor, window=trend_window, region=region, channel=channel),
    }


# --- archive and subscriptions ----------------------------------------------------------


def may_read_reports(*, actor) -> bool:
    """True when ``actor`` may list and download archived reports (mall-wide figures).

    Needs ``reports.view_report`` and a data scope covering every order (scope "all").
    """
    from orders.models import Order

    from .permissions import VIEW_REPORT

    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    from mall.core.actors import is_system_actor

    if is_system_actor(actor):
        return True
    return (
        bool(getattr(actor, "is_staff", False))
        and actor.is_active
        and actor.has_perm(VIEW_REPORT)
        and sees_every_row(actor, Order)
    )


def report_archive_list(*, actor) -> QuerySet:
    """Return the archived reports ``actor`` may download (all or none, see above)."""
    from .models import ReportArchive

    if not may_read_reports(actor=actor):
        return ReportArchive.objects.none()
    return ReportArchive.objects.order_by("-period_start", "kind", "-id")


def report_archive_get(*, actor, pk) -> object:
    """Return one archived report; ``ReportNotFound`` when missing, hidden or malformed."""
    from mall.core.api import parse_pk

    from .exceptions import ReportNotFound

    number = parse_pk(pk)
    archive = report_archive_list(actor=actor).filter(pk=number).first() if number else None
    if archive is None:
        raise ReportNotFound()
    return archive


def subscription_list(*, actor) -> QuerySet:
    """Return ``actor``'s own report subscriptions (nobody manages another's)."""
    from .models import ReportSubscription

    if actor is None or not getattr(actor, "is_authenticated", False):
        return ReportSubscription.objects.none()
    return ReportSubscription.objects.filter(user_id=actor.pk).select_related("user")
