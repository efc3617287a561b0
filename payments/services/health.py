"""Channel health (渠道健康): a sliding window over the ``ChannelCall`` samples.

``channel_health_compute`` (the job, every minute) looks, per channel, at the calls of
the last ``payments.health_window_minutes``: how many, the share that succeeded and
the 95th percentile of their latency (nearest rank). A channel is

* **unknown** (no traffic) without calls in the window;
* **degraded** with at least ``payments.health_min_calls`` calls and a success rate
  below ``payments.health_min_success_rate`` or a p95 above
  ``payments.health_max_latency_p95_ms``;
* **healthy** otherwise (too few calls to judge count as healthy).

On the move to degraded the holders of ``payments.view_channelhealth`` (finance and
tech) get one notice (deduplicated per channel); it is resolved when the channel is
healthy again. Samples older than 7 days are deleted in the same job.
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction as db_transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from ops.parameters import get_parameter

from .. import permissions as perms
from ..exceptions import PaymentsPermissionDenied
from ..models import Channel, ChannelCall, ChannelHealth
from ..parameters import (
    HEALTH_MAX_P95_MS,
    HEALTH_MIN_CALLS,
    HEALTH_MIN_SUCCESS_RATE,
    HEALTH_WINDOW_MINUTES,
)

H = ChannelHealth.State
SAMPLE_RETENTION = timedelta(days=7)
NOTICE_KIND = "payments.channel_degraded"


def _p95(latencies: list[int]) -> int | None:
    if not latencies:
        return None
    ordered = sorted(latencies)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _judge(calls: int, ok: int, p95: int | None) -> tuple[str, Decimal | None]:
    if calls == 0:
        return H.UNKNOWN, None
    rate = (Decimal(ok) / Decimal(calls)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if calls >= int(get_parameter(HEALTH_MIN_CALLS)) and (
        rate < Decimal(get_parameter(HEALTH_MIN_SUCCESS_RATE))
        or (p95 or 0) > int(get_parameter(HEALTH_MAX_P95_MS))
    ):
        return H.DEGRADED, rate
    return H.HEALTHY, rate


def _dedupe_key(channel: str) -> str:
    return f"payments.channel_health:{channel}"


def _link() -> str:
    try:
        return reverse("admin:payments_channelhealth_changelist")
    except NoReverseMatch:  # the admin is not mounted (API-only deployments)
        return ""


def _notify_degraded(actor, row: ChannelHealth) -> None:
    from ops.services.notifications import staff_notify_holders

    title = _("Payment channel degraded: %(channel)s") % {"channel": row.get_channel_display()}
    p95 = row.latency_p95_ms if row.latency_p95_ms is not None else "—"
    body = _(
        "%(calls)s calls in the last %(minutes)s minutes, success rate %(rate)s%%, "
        "p95 latency %(p95)s ms."
    ) % {
        "calls": row.calls,
        "minutes": row.window_minutes,
        "rate": f"{(row.success_rate or 0) * 100:.1f}",
        "p95": p95,
    }
    staff_notify_holders(
        actor=actor,
        permission=perms.VIEW_CHANNEL_HEALTH,
        kind=NOTICE_KIND,
        title=title,
        body=body,
        link=_link(),
        dedupe_key=_dedupe_key(row.channel),
        subject=row,
    )


def channel_health_compute(*, actor, now=None) -> dict:
    """Recompute every channel's health from the window's samples; notify on the move to
    degraded, resolve the notice when healthy again; delete samples older than 7 days.
    Answers ``{"healthy", "degraded", "unknown", "notified", "resolved", "pruned"}``.
    """
    from ops.services.notifications import notifications_resolve

    if not is_system_actor(actor) and not (
        getattr(actor, "is_active", False) and actor.has_perm(perms.VIEW_CHANNEL_HEALTH)
    ):
        raise PaymentsPermissionDenied()
    now = now or timezone.now()
    minutes = int(get_parameter(HEALTH_WINDOW_MINUTES))
    since = now - timedelta(minutes=minutes)
    samples: dict[str, list[tuple[bool, int]]] = {}
    for channel, ok, latency in ChannelCall.objects.filter(at__gt=since, at__lte=now).values_list(
        "channel", "ok", "latency_ms"
    ):
        samples.setdefault(channel, []).append((ok, latency))
    result = {"healthy": 0, "degraded": 0, "unknown": 0, "notified": 0, "resolved": 0}
    for channel in Channel.values:
        rows = samples.get(channel, [])
        calls = len(rows)
        ok = sum(1 for good, _latency in rows if good)
        p95 = _p95([latency for _good, latency in rows])
        state, rate = _judge(calls, ok, p95)
        result[state] += 1
        with db_transaction.atomic():
            row, _created = ChannelHealth.objects.select_for_update().get_or_create(channel=channel)
            previous = row.state
            row.calls = calls
            row.success_rate = rate
            row.latency_p95_ms = p95
            row.window_minutes = minutes
            row.computed_at = now
            fields = ["calls", "success_rate", "latency_p95_ms", "window_minutes", "computed_at"]
            if state != previous:
                row.state = state
                row.changed_at = now
                fields += ["state", "changed_at"]
            row.save(update_fields=fields)
            if state == previous:
                continue
            audit(
                actor=actor,
                action="payment.channel_health",
                target=row,
                before={"state": previous},
                after={"state": state, "calls": calls, "success_rate": str(rate), "p95": p95},
            )
            if state == H.DEGRADED:
                _notify_degraded(actor, row)
                result["notified"] += 1
            elif state == H.HEALTHY and previous == H.DEGRADED:
                notifications_resolve(actor=actor, subject=row, kinds=[NOTICE_KIND])
                result["resolved"] += 1
    result["pruned"] = ChannelCall.objects.filter(at__lt=now - SAMPLE_RETENTION).delete()[0]
    return result
