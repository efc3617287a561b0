"""The daily brushing scan (刷单) and what deciding a ring case does to its orders.

A ring case's evidence lists its orders (``evidence["orders"]``: order numbers). The
scan flags them ``is_brushed`` when it opens the case, so reports, results and
recommendations leave them out at once; dismissing the case gives them back
(:func:`ring_dismissed`), confirming keeps them out (:func:`ring_confirmed`).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from ops.parameters import get_parameters

from ..models import Point, RiskCase
from ..parameters import RING_MIN_ACCOUNTS, RING_MIN_ORDERS, SCAN_WINDOW_DAYS

logger = logging.getLogger(__name__)


def _ring_order_numbers(case: RiskCase) -> list[str]:
    return [str(number) for number in (case.evidence or {}).get("orders", [])][:5000]


def ring_confirmed(*, actor, case: RiskCase) -> int:
    """Keep the ring's orders flagged (flag any the scan had not flagged yet)."""
    from orders.models import Order

    numbers = _ring_order_numbers(case)
    flagged = Order.objects.filter(order_no__in=numbers, is_brushed=False).update(is_brushed=True)
    if flagged:
        audit(
            actor=actor,
            action="risk.orders_brushed",
            target=case,
            data={"orders": flagged},
        )
    return flagged


def ring_dismissed(*, actor, case: RiskCase) -> int:
    """Give the ring's orders back to the reports, except orders another open or
    confirmed ring still names."""
    from orders.models import Order

    numbers = set(_ring_order_numbers(case))
    others = RiskCase.objects.filter(
        kind=RiskCase.Kind.BRUSHING_RING,
        status__in=[RiskCase.Status.OPEN, RiskCase.Status.CONFIRMED],
    ).exclude(pk=case.pk)
    for other in others.only("evidence").iterator():
        numbers -= set(_ring_order_numbers(other))
    cleared = Order.objects.filter(order_no__in=numbers, is_brushed=True).update(is_brushed=False)
    if cleared:
        audit(
            actor=actor,
            action="risk.orders_unbrushed",
            target=case,
            data={"orders": cleared},
        )
    return cleared


# --- the daily scan ------------------------------------------------------------------

# key kind → (the order column, the evidence list the decisions read)
KEY_KINDS: dict[str, tuple[str, str]] = {
    "device": ("device_id", "devices"),
    "ip": ("client_ip", "ips"),
    "address": ("address_hash", "addresses"),
}
RING_ORDER_CAP = 5000  # a ring's orders kept in its evidence (ring_confirmed reads as many)


def _key_label(kind: str, key: str) -> str:
    """The shared key as shown in the queue (masked: a device id's start, an IP's /24, a
    hash's first characters — the full value stays in the evidence lists)."""
    if kind == "ip":
        if ":" in key:
            return ":".join(key.split(":")[:3]) + ":…"
        return ".".join(key.split(".")[:3]) + ".*"
    if kind == "address":
        return key[:8] + "…"
    return key[:6] + "…" if len(key) > 8 else key


def _kind_label(kind: str) -> str:
    return {"device": _("device"), "ip": _("IP address"), "address": _("delivery address")}[kind]


def _scan_orders(since, until):
    """Paid orders placed in the window that still count (not cancelled or closed)."""
    from orders.models import Order

    S = Order.Status
    return Order.objects.filter(
        created_at__gte=since, created_at__lt=until, paid_at__isnull=False
    ).exclude(status__in=[S.CANCELLED, S.CLOSED])


def _rings(orders, column: str, min_accounts: int, min_orders: int):
    """One GROUP BY (channel, key) … HAVING over the window's paid orders."""
    keyed = orders.exclude(**{f"{column}__isnull": True})
    if column != "client_ip":  # an inet column cannot be compared with ''
        keyed = keyed.exclude(**{column: ""})
    return (
        keyed.values("channel_id", column)
        .annotate(
            accounts=Count("member_id", distinct=True),
            order_count=Count("id"),
            amount=Sum("total_amount"),
        )
        .filter(accounts__gte=min_accounts, order_count__gte=min_orders)
        .order_by("channel_id", column)
    )


def _dismissed_before(fingerprint: str):
    """When a person last dismissed this ring (None: never)."""
    return (
        RiskCase.objects.filter(fingerprint=fingerprint, status=RiskCase.Status.DISMISSED)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )


def brushing_scan(*, actor, now=None) -> dict:
    """Find brushing rings (刷单, the 04:00 scan): accounts sharing a device, an IP or a
    delivery address that bought from one channel in the last ``risk.scan_window_days``.

    One set-based ``GROUP BY (channel, key) HAVING count(distinct member) ≥
    risk.ring_min_accounts AND count(*) ≥ risk.ring_min_orders`` per key kind over the
    paid orders of the window (cancelled and closed orders do not count; empty keys are
    ignored). Each ring opens a ``brushing_ring`` case (fingerprint
    ``brushing_ring:<channel>:<kind>:<key>``; a ring still open gets a sighting) and its
    orders are flagged ``is_brushed`` in one UPDATE (audited ``risk.orders_brushed``
    when any was flagged). Its orders not shipped yet are listed in the evidence as
    ``open_orders`` (ops close them from the case). A ring a person dismissed is not
    raised again unless it has orders placed after the dismissal.

    Returns ``{"rings", "opened", "seen", "skipped_dismissed", "flagged"}``.
    """
    from orders.models import SalesChannel

    now = now or timezone.now()
    values = get_parameters([SCAN_WINDOW_DAYS, RING_MIN_ACCOUNTS, RING_MIN_ORDERS])
    since = now - timedelta(days=values[SCAN_WINDOW_DAYS])
    orders = _scan_orders(since, now)
    result = {"rings": 0, "opened": 0, "seen": 0, "skipped_dismissed": 0, "flagged": 0}
    channels: dict[int, SalesChannel] = {}
    for kind, (column, evidence_key) in KEY_KINDS.items():
        found = _rings(orders, column, values[RING_MIN_ACCOUNTS], values[RING_MIN_ORDERS])
        for ring in found:
            channel_id, key = ring["channel_id"], str(ring[column])
            fingerprint = f"brushing_ring:{channel_id}:{kind}:{key}"[:128]
            ring_orders = orders.filter(channel_id=channel_id, **{column: ring[column]})
            dismissed_at = _dismissed_before(fingerprint)
            if (
                dismissed_at is not None
                and not ring_orders.filter(created_at__gt=dismissed_at).exists()
            ):
                result["skipped_dismissed"] += 1
                continue
            rows = list(
                ring_orders.order_by("created_at", "pk").values(
                    "pk", "order_no", "member_id", "region_id", "shipped_at"
                )[:RING_ORDER_CAP]
            )
            if channel_id not in channels:
                channels[channel_id] = SalesChannel.objects.get(pk=channel_id)
            channel = channels[channel_id]
            result["rings"] += 1
            with transaction.atomic():
                flagged = _open_ring(
                    actor,
                    kind=kind,
                    key=key,
                    evidence_key=evidence_key,
                    fingerprint=fingerprint,
                    channel=channel,
                    ring=ring,
                    rows=rows,
                    since=since,
                    result=result,
                )
            result["flagged"] += flagged
    logger.info("risk.brushing_scan %s", result)
    return result


def _open_ring(
    actor, *, kind, key, evidence_key, fingerprint, channel, ring, rows, since, result
) -> int:
    from orders.models import Order

    from .cases import case_open

    member_ids = sorted({r["member_id"] for r in rows})
    numbers = [r["order_no"] for r in rows]
    open_orders = [r["order_no"] for r in rows if r["shipped_at"] is None]
    # A ring inside one sales region is that region's case; a ring across regions is
    # seen with scope "all" only (its evidence names every region's orders and members).
    regions = Counter(r["region_id"] for r in rows if r["region_id"] is not None)
    region_id = next(iter(regions)) if len(regions) == 1 else None
    label = _key_label(kind, key)
    evidence = {
        "channel": channel.code,
        "channel_name": channel.name,
        "key_kind": kind,
        "key": label,
        "window_from": since.isoformat(),
        "members": member_ids,
        "member_count": ring["accounts"],
        "orders": numbers,
        "order_count": ring["order_count"],
        "amount": f"{ring['amount'] or 0:.2f}",
        "open_orders": open_orders,
        evidence_key: [key],
    }
    summary = _(
        "%(accounts)s accounts sharing one %(kind)s (%(key)s) paid %(orders)s orders "
        "(%(amount)s) in %(channel)s"
    ) % {
        "accounts": ring["accounts"],
        "kind": _kind_label(kind),
        "key": label,
        "orders": ring["order_count"],
        "amount": evidence["amount"],
        "channel": channel.name,
    }
    # score: how far past the thresholds the ring is (accounts weigh more than orders)
    score = min(100, 50 + 5 * ring["accounts"] + ring["order_count"])
    # A sighting on the open case keeps the figures only (the case's own evidence is
    # brought up to date below; twenty sightings of 5,000 order numbers would not do).
    still_open = RiskCase.objects.filter(
        fingerprint=fingerprint, status=RiskCase.Status.OPEN
    ).exists()
    figures = ("channel", "key_kind", "key", "member_count", "order_count", "amount")
    case, created = case_open(
        actor=actor,
        kind=RiskCase.Kind.BRUSHING_RING,
        point=Point.SCAN,
        summary=summary,
        fingerprint=fingerprint,
        rule="brushing_ring",
        score=score,
        evidence={k: evidence[k] for k in figures} if still_open else evidence,
        region=region_id,
    )
    result["opened" if created else "seen"] += 1
    if not created:
        # the open case lists the ring as it is now (its orders, the ones to close)
        case.evidence = {**case.evidence, **evidence}
        case.save(update_fields=["evidence"])
    flagged = Order.objects.filter(pk__in=[r["pk"] for r in rows], is_brushed=False).update(
        is_brushed=True
    )
    if flagged:
        audit(
            actor=actor,
            action="risk.orders_brushed",
            target=case,
            data={"orders": flagged, "ring": fingerprint},
        )
    return flagged
