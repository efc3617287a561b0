"""Ledger invariants under random operation sequences, and under real concurrency."""

from __future__ import annotations

import contextlib
import io
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mall.core.actors import system_actor
from members.exceptions import InsufficientPoints, PointsNotRefundable
from members.models import GrowthEntry, Member, PointsLot
from members.services import (
    growth_record,
    points_earn,
    points_expire_due,
    points_refund,
    points_spend,
    points_verify,
)
from tests.conftest import requires_postgres

operations = st.lists(
    st.tuples(
        st.sampled_from(["earn", "spend", "refund", "age", "expire"]),
        st.integers(min_value=1, max_value=300),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=operations)
def test_points_balance_always_equals_ledger_and_lots(make_member, steps):
    member = make_member()
    spends: list[str] = []
    for index, (operation, amount) in enumerate(steps):
        reference = f"{member.pk}:{index}"
        if operation == "earn":
            points_earn(member=member, reason="share", reference=reference, points=amount)
        elif operation == "spend":
            try:
                points_spend(member=member, reason="exchange", reference=reference, points=amount)
                spends.append(reference)
            except InsufficientPoints:
                pass
        elif operation == "refund" and spends:
            with contextlib.suppress(PointsNotRefundable):
                points_refund(
                    member=member,
                    spend_reference=spends[amount % len(spends)],
                    reference=reference,
                    spend_reason="exchange",
                    points=1 + amount % 50,
                )
        elif operation == "age":
            PointsLot.objects.filter(
                member=member,
                pk=PointsLot.objects.filter(member=member).order_by("pk").values("pk")[:1],
            ).update(expires_at=timezone.now() - timedelta(seconds=1))
        elif operation == "expire":
            points_expire_due(actor=system_actor())
        check = points_verify(member)
        assert check.ok, (operation, check)
        assert check.balance >= 0


@pytest.mark.django_db
def test_verify_command_reports_drift(make_member):
    member = make_member()
    points_earn(member=member, reason="share", reference="s", points=5)
    call_command("verify_member_ledgers", stdout=io.StringIO())
    Member.objects.filter(pk=member.pk).update(growth=7)
    with pytest.raises(CommandError):
        call_command("verify_member_ledgers", stdout=io.StringIO())


def _in_threads(count: int, work) -> list:
    results: list = []
    barrier = threading.Barrier(count)
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait()
            result = work(index)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            result = exc
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_retried_growth_grant_running_in_parallel_counts_once(make_member):
    member = make_member()
    _in_threads(
        6,
        lambda i: growth_record(
            member=Member.objects.get(pk=member.pk),
            reason="purchase",
            reference="DD1",
            amount=100,
        ),
    )
    assert GrowthEntry.objects.filter(reason="purchase", reference="DD1").count() == 1
    assert Member.objects.get(pk=member.pk).growth == 100


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_spends_never_overdraw_the_points(make_member):
    member = make_member()
    points_earn(member=member, reason="share", reference="s", points=100)
    results = _in_threads(
        5,
        lambda i: points_spend(
            member=Member.objects.get(pk=member.pk),
            reason="checkout",
            reference=f"DD{i}",
            points=30,
        ),
    )
    assert sum(1 for r in results if isinstance(r, InsufficientPoints)) == 2
    assert Member.objects.get(pk=member.pk).points_balance == 10
    assert points_verify(member).ok


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_refunds_of_one_order_never_roll_back_more_growth_than_it_earned(make_member):
    from members.services import growth_record_purchase, growth_rollback_purchase

    member = make_member()
    growth_record_purchase(member=member, order_no="DD77", paid_amount="100.00")
    growth_record(member=member, reason="adjustment", reference=f"{member.pk}:extra", amount=500)
    _in_threads(
        6,
        lambda i: growth_rollback_purchase(
            member=Member.objects.get(pk=member.pk),
            order_no="DD77",
            reference=f"SH{i}",
            refunded_amount="60.00",
        ),
    )
    rolled_back = -sum(
        GrowthEntry.objects.filter(member=member, reason="purchase_rollback").values_list(
            "amount", flat=True
        )
    )
    assert rolled_back == 100  # the order earned 100; six refunds of 60 take back 100
    assert Member.objects.get(pk=member.pk).growth == 500
