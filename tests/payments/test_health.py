"""Channel health: the sliding window, the thresholds, one notice on degrading, its
resolution when healthy again, and the pruning of old samples."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import StaffNotification, SystemParameter
from ops.parameters import forget_cached
from payments.exceptions import PaymentsPermissionDenied
from payments.models import ChannelCall, ChannelHealth
from payments.services.health import channel_health_compute
from tests.payments.scope_cases import make_staff_with_role

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


def _calls(channel, *, ok=0, failed=0, latency=100, minutes_ago=1, now=NOW):
    at = now - timedelta(minutes=minutes_ago)
    ChannelCall.objects.bulk_create(
        [
            ChannelCall(channel=channel, operation="create", ok=True, latency_ms=latency, at=at)
            for _ in range(ok)
        ]
        + [
            ChannelCall(
                channel=channel,
                operation="create",
                ok=False,
                latency_ms=latency,
                at=at,
                error_code="SYSTEMERROR",
            )
            for _ in range(failed)
        ]
    )


def _health(channel) -> ChannelHealth:
    return ChannelHealth.objects.get(channel=channel)


def _set(key, value):
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


def _notices(kind="payments.channel_degraded"):
    return StaffNotification.objects.filter(kind=kind)


def test_rate_and_p95_are_computed_over_the_window_only():
    _calls("wechat", ok=19, failed=1, latency=200)  # inside the 15-minute window
    _calls("wechat", ok=1, latency=2500, minutes_ago=2)
    _calls("wechat", failed=30, latency=9000, minutes_ago=16)  # outside: ignored
    result = channel_health_compute(actor=system_actor(), now=NOW)
    row = _health("wechat")
    assert row.calls == 21
    assert row.success_rate == Decimal("0.9524")  # 20 / 21
    assert row.latency_p95_ms == 200  # nearest rank: the 20th of 21 sorted latencies
    assert row.state == ChannelHealth.State.HEALTHY and row.window_minutes == 15
    assert row.computed_at == NOW and row.changed_at == NOW
    # channels without calls: no traffic
    assert _health("alipay").state == ChannelHealth.State.UNKNOWN
    assert _health("alipay").success_rate is None and _health("alipay").calls == 0
    assert result["healthy"] == 1 and result["degraded"] == 0 and result["unknown"] == 4


def test_the_window_follows_its_parameter():
    _set("payments.health_window_minutes", 30)
    _calls("alipay", failed=10, minutes_ago=20)
    channel_health_compute(actor=system_actor(), now=NOW)
    row = _health("alipay")
    assert (row.calls, row.window_minutes, row.state) == (10, 30, ChannelHealth.State.DEGRADED)


def test_low_success_rate_degrades_only_with_enough_calls():
    _calls("unionpay", ok=1, failed=3)  # 25% but only 4 calls (minimum 5)
    channel_health_compute(actor=system_actor(), now=NOW)
    assert _health("unionpay").state == ChannelHealth.State.HEALTHY
    _calls("unionpay", failed=1)  # the 5th call
    channel_health_compute(actor=system_actor(), now=NOW)
    assert _health("unionpay").state == ChannelHealth.State.DEGRADED


def test_the_rate_threshold_is_strict():
    _calls("wechat", ok=19, failed=1)  # exactly 95%: not below the minimum
    channel_health_compute(actor=system_actor(), now=NOW)
    assert _health("wechat").state == ChannelHealth.State.HEALTHY
    _set("payments.health_min_success_rate", "0.96")
    channel_health_compute(actor=system_actor(), now=NOW)
    assert _health("wechat").state == ChannelHealth.State.DEGRADED


def test_slow_p95_degrades_a_channel_that_succeeds():
    _calls("alipay", ok=18, latency=300)
    _calls("alipay", ok=2, latency=3001)  # 10% slow: the p95 is slow
    channel_health_compute(actor=system_actor(), now=NOW)
    row = _health("alipay")
    assert row.success_rate == Decimal("1.0000") and row.latency_p95_ms == 3001
    assert row.state == ChannelHealth.State.DEGRADED
    _set("payments.health_max_latency_p95_ms", 3001)  # at the limit: not above it
    channel_health_compute(actor=system_actor(), now=NOW)
    assert _health("alipay").state == ChannelHealth.State.HEALTHY


def test_degrading_notifies_the_holders_once_and_healthy_again_resolves_it(make_staff):
    finance = make_staff_with_role("health_fin", perms=("payments.view_channelhealth",))
    outsider = make_staff("health_outsider", perms=("payments.view_refund",))
    _calls("wechat", failed=10)
    first = channel_health_compute(actor=system_actor(), now=NOW)
    assert first["notified"] == 1
    notice = _notices().get(recipient=finance)
    assert "微信支付" in notice.title or "WeChat" in notice.title
    assert notice.resolved_at is None
    assert not _notices().filter(recipient=outsider).exists()
    # still degraded a minute later: no second notice
    later = NOW + timedelta(minutes=1)
    again = channel_health_compute(actor=system_actor(), now=later)
    assert again["notified"] == 0
    assert _notices().filter(recipient=finance).count() == 1
    assert _health("wechat").changed_at == NOW  # the state's start, not the last run

    # the failures age out of the window, good calls come in: healthy, notice resolved
    recovered_at = NOW + timedelta(minutes=20)
    _calls("wechat", ok=10, now=recovered_at)
    result = channel_health_compute(actor=system_actor(), now=recovered_at)
    assert result["resolved"] == 1
    assert _health("wechat").state == ChannelHealth.State.HEALTHY
    notice.refresh_from_db()
    assert notice.resolved_at is not None

    # degrading again later is a new notice (the dedupe key is free once resolved)
    again_at = recovered_at + timedelta(minutes=20)
    _calls("wechat", failed=10, now=again_at)
    channel_health_compute(actor=system_actor(), now=again_at)
    assert _notices().filter(recipient=finance).count() == 2
    assert _notices().filter(recipient=finance, resolved_at__isnull=True).count() == 1


def test_samples_older_than_seven_days_are_pruned():
    _calls("sandbox", ok=3, minutes_ago=7 * 24 * 60 + 1)
    _calls("sandbox", ok=2, minutes_ago=7 * 24 * 60 - 1)
    result = channel_health_compute(actor=system_actor(), now=NOW)
    assert result["pruned"] == 3
    assert ChannelCall.objects.count() == 2


def test_a_person_needs_the_health_permission(make_staff):
    with pytest.raises(PaymentsPermissionDenied):
        channel_health_compute(actor=make_staff("nobody"), now=NOW)
    assert not ChannelHealth.objects.exists()
    tech = make_staff("tech_health", perms=("payments.view_channelhealth",))
    channel_health_compute(actor=tech, now=NOW)
    assert ChannelHealth.objects.count() == 5


def test_the_scheduled_task_runs_every_minute_and_records_its_run():
    from mall.core.jobs import JobRun
    from payments.tasks import SCHEDULE, payments_channel_health_task

    _calls("sandbox", ok=6, now=timezone.now())
    result = payments_channel_health_task.delay().get()
    assert result["healthy"] == 1 and result["unknown"] == 4
    assert _health("sandbox").state == ChannelHealth.State.HEALTHY
    assert JobRun.objects.get(name="payments.channel_health").status == JobRun.Status.SUCCEEDED
    assert SCHEDULE["payments: channel health"]["cron"] == "* * * * *"
