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
from members.selectors import points_verify
from members.services import (
    growth_record,
    points_earn,
    points_expire_due,
    points_refund,
    points_spend,
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
            points_earn(
                actor=member, member=member, reason="share", reference=reference, points=amount
            )
        elif operation == "spend":
            try:
                points_spend(
                    actor=member,
                    member=member,
                    reason="exchange",
                    reference=reference,
                    points=amount,
                )
                spends.append(reference)
            except InsufficientPoints:
                pass
        elif operation == "refund" and spends:
            with contextlib.suppress(PointsNotRefundable):
                points_refund(
                    actor=member,
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
        check = points_verify(actor=member, member=member)
        assert check.ok, (operation, check)
        assert check.balance >= 0


@pytest.mark.django_db
def test_verify_command_reports_drift(make_member):
    member = make_member()
    points_earn(actor=member, member=member, reason="share", reference="s", points=5)
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
            actor=Member.objects.get(pk=member.pk),
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
    points_earn(actor=member, member=member, reason="share", reference="s", points=100)
    results = _in_threads(
        5,
        lambda i: points_spend(
            actor=Member.objects.get(pk=member.pk),
            member=Member.objects.get(pk=member.pk),
            reason="checkout",
            reference=f"DD{i}",
            points=30,
        ),
    )
    assert sum(1 for r in results if isinstance(r, InsufficientPoints)) == 2
    assert Member.objects.get(pk=member.pk).points_balance == 10
    assert points_verify(actor=member, member=member).ok


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_refunds_of_one_order_never_roll_back_more_growth_than_it_earned(make_member):
    from members.services import growth_record_purchase, growth_rollback_purchase

    member = make_member()
    growth_record_purchase(actor=member, member=member, order_no="DD77", paid_amount="100.00")
    growth_record(
        actor=member, member=member, reason="adjustment", reference=f"{member.pk}:extra", amount=500
    )
    _in_threads(
        6,
        lambda i: growth_rollback_purchase(
            actor=Member.objects.get(pk=member.pk),
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


def test_a_ledger_reference_of_another_member_is_a_conflict_not_their_entry(make_member):
    from members.exceptions import MemberError
    from members.services import growth_record, points_earn

    first, second = make_member(), make_member()
    points_earn(actor=first, member=first, reason="share", reference="share-1", points=5)
    with pytest.raises(MemberError) as raised:
        points_earn(actor=second, member=second, reason="share", reference="share-1", points=5)
    assert raised.value.status_code == 409
    assert Member.objects.get(pk=second.pk).points_balance == 0
    growth_record(actor=first, member=first, reason="review", reference="rv-1", amount=20)
    with pytest.raises(MemberError):
        growth_record(actor=second, member=second, reason="review", reference="rv-1", amount=20)
    assert Member.objects.get(pk=second.pk).growth == 0


def test_growth_and_points_beyond_their_columns_are_refused_not_a_database_error(
    make_member,
):
    from mall.core.exceptions import ApplicationError
    from members.services import growth_record_purchase, points_earn_for_purchase

    member = make_member()
    with pytest.raises(ApplicationError):
        growth_record_purchase(
            actor=member, member=member, order_no="DDHUGE", paid_amount="999999999999.00"
        )
    with pytest.raises(ApplicationError):
        points_earn_for_purchase(
            actor=member, member=member, order_no="DDHUGE", paid_amount="999999999999.00"
        )
    member.refresh_from_db()
    assert (member.growth, member.points_balance) == (0, 0)


def test_a_ledger_reference_or_note_too_long_is_refused_not_cut(make_member):
    from mall.core.exceptions import InvalidInput
    from members.services import points_adjust

    member = make_member()
    long_reference = "DD" + "9" * 99  # 101 characters: cutting it would merge two orders
    with pytest.raises(InvalidInput):
        points_earn(actor=member, member=member, reason="share", reference=long_reference, points=5)
    with pytest.raises(InvalidInput):
        growth_record(
            actor=member, member=member, reason="purchase", reference=long_reference, amount=5
        )
    with pytest.raises(InvalidInput):
        points_adjust(actor=None, member=member, points=5, reference="r1", note="x" * 201)
    member.refresh_from_db()
    assert (member.points_balance, member.growth) == (0, 0)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_check_ins_of_one_member_grant_the_day_once(make_member):
    from members.exceptions import AlreadySignedIn
    from members.services import member_sign_in

    member = make_member()

    def check_in(index):
        fresh = Member.objects.get(pk=member.pk)
        return member_sign_in(actor=fresh, member=fresh)

    results = _in_threads(6, check_in)
    entries = [r for r in results if not isinstance(r, AlreadySignedIn)]
    assert entries and all(not isinstance(r, Exception) for r in entries)
    assert len({entry.pk for entry in entries}) == 1
    assert PointsLot.objects.filter(member=member).count() == 1
    assert Member.objects.get(pk=member.pk).points_balance == 10
    assert points_verify(actor=member, member=member).ok
