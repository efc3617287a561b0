"""Settlement and channel health under concurrency (PostgreSQL, real row locks):
simultaneous computations of one day make one settlement with the right figures; a
confirmation racing recomputations freezes what it confirmed; simultaneous health
runs notify a degraded channel once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import StaffNotification
from payments.exceptions import PaymentStateConflict
from payments.models import ChannelCall, ChannelHealth, Settlement
from payments.services.health import channel_health_compute
from payments.services.settlement import settlement_compute, settlement_confirm
from tests.conftest import requires_postgres
from tests.payments.scope_cases import make_refund, make_staff_with_role, make_txn

WORKERS = 8


def _race(work, count: int = WORKERS) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, crashes = [], []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            barrier.wait(timeout=60)
            outcome = work(number)
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, crashes


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_computations_make_one_settlement_with_the_right_figures():
    day = timezone.localdate()
    paid = make_txn(channel="sandbox", amount="100.00", fee="0.60")
    make_txn(channel="sandbox", amount="33.33", fee="0.20")
    make_refund(paid, amount="40.00", fee_back="0.24")

    def work(_number):
        return settlement_compute(actor=system_actor(), channel="sandbox", business_date=day).pk

    results, crashes = _race(work)
    assert crashes == []
    assert len(set(results)) == 1 and len(results) == WORKERS
    row = Settlement.objects.get(channel="sandbox", business_date=day)
    assert (row.payment_count, row.gross_amount, row.fee_amount) == (
        2,
        Decimal("133.33"),
        Decimal("0.80"),
    )
    assert row.net_amount == Decimal("92.77")  # 133.33 − 0.80 − 40.00 + 0.24


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_racing_recomputations_freezes_what_it_confirmed():
    day = timezone.localdate()
    make_txn(channel="wechat", amount="10.00", fee="0.06")
    finance = make_staff_with_role("race_fin")
    row = settlement_compute(actor=finance, channel="wechat", business_date=day)

    def work(number):
        if number == 0:
            return ("confirm", settlement_confirm(actor=finance, settlement=row).status)
        try:
            settlement_compute(actor=finance, channel="wechat", business_date=day)
        except PaymentStateConflict:
            return ("refused", "")
        return ("recomputed", "")

    results, crashes = _race(work)
    assert crashes == []
    assert ("confirm", "confirmed") in results
    row.refresh_from_db()
    assert row.status == Settlement.Status.CONFIRMED
    assert (row.payment_count, row.gross_amount) == (1, Decimal("10.00"))


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_health_runs_notify_a_degraded_channel_once():
    finance = make_staff_with_role("race_health", perms=("payments.view_channelhealth",))
    now = timezone.now()
    ChannelCall.objects.bulk_create(
        [
            ChannelCall(channel="alipay", operation="create", ok=False, latency_ms=50, at=now)
            for _ in range(10)
        ]
    )
    results, crashes = _race(lambda _n: channel_health_compute(actor=system_actor(), now=now), 4)
    assert crashes == []
    assert sum(result["notified"] for result in results) == 1
    assert ChannelHealth.objects.get(channel="alipay").state == ChannelHealth.State.DEGRADED
    assert (
        StaffNotification.objects.filter(
            recipient=finance, kind="payments.channel_degraded"
        ).count()
        == 1
    )
