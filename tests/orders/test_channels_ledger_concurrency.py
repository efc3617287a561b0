"""Concurrent posts to one channel's ledger on PostgreSQL: no lost update, no overdraft."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from mall.core.actors import system_actor
from orders.models import ChannelLedgerEntry, SalesChannel
from orders.services.channels import ChannelBalanceInsufficient, channel_ledger_post
from tests.conftest import requires_postgres

THREADS = 20


def _run(channel_pk: int, posts: list[tuple[str, str, str]]):
    barrier = threading.Barrier(len(posts))
    done, refused, crashes = [], [], []
    lock = threading.Lock()

    def post(kind: str, amount: str, reference: str) -> None:
        try:
            barrier.wait(timeout=30)
            channel = SalesChannel.objects.get(pk=channel_pk)
            channel_ledger_post(
                actor=system_actor(),
                channel=channel,
                kind=kind,
                amount=amount,
                reference_no=reference,
            )
            with lock:
                done.append(reference)
        except ChannelBalanceInsufficient as exc:
            with lock:
                refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test
            with lock:
                crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=args) for args in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done, refused, crashes


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_withdrawals_of_a_hundred_from_a_thousand_leave_exactly_ten(db):
    channel = SalesChannel.objects.create(code="conc-1", name="并发店", kind="tmall")
    channel_ledger_post(
        actor=system_actor(), channel=channel, kind="settlement", amount="1000.00", reference_no="S"
    )

    done, refused, crashes = _run(
        channel.pk, [("withdrawal", "-100.00", f"W{n}") for n in range(THREADS)]
    )

    assert crashes == []
    assert len(done) == 10
    assert refused == ["insufficient_balance"] * 10
    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("0.00")
    total = ChannelLedgerEntry.objects.filter(channel=channel).aggregate(s=Sum("amount"))["s"]
    assert total == channel.balance_amount
    afters = sorted(
        ChannelLedgerEntry.objects.filter(channel=channel, kind="withdrawal").values_list(
            "balance_after_amount", flat=True
        )
    )
    assert afters == [Decimal(100 * n) for n in range(10)]


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_settlement_posted_by_twenty_workers_at_once_counts_once(db):
    channel = SalesChannel.objects.create(code="conc-2", name="并发店二", kind="jd")

    done, refused, crashes = _run(channel.pk, [("settlement", "66.60", "DD-SAME")] * THREADS)

    assert crashes == [] and refused == []
    assert len(done) == THREADS
    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("66.60")
    assert ChannelLedgerEntry.objects.filter(channel=channel).count() == 1
