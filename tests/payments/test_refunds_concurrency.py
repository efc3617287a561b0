# ruff: noqa: F811 - fixtures imported from refund_support are parameters here
"""Money under concurrency on PostgreSQL (real row locks, one connection per thread).

* 8 refunds of 60 % each of one paid transaction requested at the same moment: exactly
  one is reserved, the others are 409 ``refund_exceeds_paid``; refunded ≤ paid.
* 10 balance payments of 30.00 from a balance of 100.00 at the same moment: exactly 3
  succeed (409 ``insufficient_balance`` for the rest), the balance is 10.00 and equals
  its ledger.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from mall.core.actors import system_actor
from mall.core.exceptions import ApplicationError
from members.models import BalanceEntry
from members.services.balance import balance_pay, balance_recharge, balance_verify
from payments.models import PaymentTransaction, Refund
from payments.services.refunds import refund_create
from tests.conftest import requires_postgres
from tests.payments.refund_support import (  # noqa: F401 - fixtures
    buyer,
    on_shelf_sku,
    paid_order,
    place,
    staff,
)

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def _race(count: int, work) -> tuple[list[str], list[str]]:
    """Run ``work(n)`` in ``count`` threads released together; answers (outcomes,
    crashes): an outcome is "ok" or the error code."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    crashes: list[str] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(number)
            outcome = "ok"
        except ApplicationError as error:
            outcome = error.code
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                crashes.append(repr(exc))
            return
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes, crashes


def test_eight_refunds_of_sixty_percent_reserve_only_one(paid_order):
    _order, txn = paid_order()
    share = (txn.paid_amount * D("0.6")).quantize(D("0.01"))

    outcomes, crashes = _race(
        8,
        lambda n: refund_create(
            actor=system_actor(),
            transaction=PaymentTransaction.objects.get(pk=txn.pk),
            amount=share,
            source=Refund.Source.DUPLICATE,
            reason=f"race {n}",
        ),
    )

    assert crashes == []
    assert sorted(outcomes) == ["ok"] + ["refund_exceeds_paid"] * 7
    txn.refresh_from_db()
    assert txn.refunded_amount == share <= txn.paid_amount
    assert Refund.objects.filter(transaction=txn).count() == 1


def test_ten_balance_payments_of_thirty_from_a_hundred_exactly_three_succeed(buyer):
    member = buyer()
    balance_recharge(actor=system_actor(), member=member, amount="100.00", reference="R-race")

    outcomes, crashes = _race(
        10,
        lambda n: balance_pay(
            actor=system_actor(), member=member, amount="30.00", reference=f"P-race-{n}"
        ),
    )

    assert crashes == []
    assert sorted(outcomes) == ["insufficient_balance"] * 7 + ["ok"] * 3
    member.refresh_from_db()
    assert member.balance_amount == D("10.00")
    assert BalanceEntry.objects.filter(member=member, kind="pay").count() == 3
    assert balance_verify(actor=system_actor()) == []


def test_the_same_balance_payment_posted_concurrently_is_taken_once(buyer):
    member = buyer()
    balance_recharge(actor=system_actor(), member=member, amount="100.00", reference="R-once")

    outcomes, crashes = _race(
        6,
        lambda n: balance_pay(
            actor=system_actor(), member=member, amount="30.00", reference="P-same"
        ),
    )

    assert crashes == [] and outcomes == ["ok"] * 6
    member.refresh_from_db()
    assert member.balance_amount == D("70.00")
    assert BalanceEntry.objects.filter(member=member, kind="pay").count() == 1
    assert balance_verify(actor=system_actor()) == []


def test_one_refund_sent_by_four_workers_at_once_succeeds_and_settles_once(paid_order, staff):
    from django.test import override_settings

    from ops.models import AuditEntry
    from orders.models import AfterSale
    from orders.services.after_sales import after_sale_refund_execute
    from payments.services.refunds import refund_send
    from tests.orders.after_sales_fixtures import CS_PERMS, FINANCE_PERMS
    from tests.payments.refund_support import refund_case

    order, txn = paid_order()
    case = refund_case(order, staff("cs_agent", CS_PERMS), amount="60.00")
    # The after-commit send fails (channel down), so the refund waits for its retry.
    with override_settings(PAYMENT_GATEWAYS={"sandbox": {"secret": "x", "fail_refunds": True}}):
        after_sale_refund_execute(actor=staff("finance", FINANCE_PERMS), after_sale=case)
    refund = Refund.objects.get(after_sale_case_no=case.case_no)
    assert (refund.status, refund.attempts) == ("pending", 1)

    outcomes, crashes = _race(
        4, lambda n: refund_send(actor=system_actor(), refund=Refund.objects.get(pk=refund.pk))
    )

    assert crashes == [] and outcomes == ["ok"] * 4
    refund.refresh_from_db()
    txn.refresh_from_db()
    assert refund.status == "succeeded"
    assert (txn.status, txn.refunded_amount) == ("partially_refunded", D("60.00"))
    assert AfterSale.objects.get(pk=case.pk).status == "completed"
    assert AuditEntry.objects.filter(action="payment.refund_succeeded").count() == 1
    assert (
        AuditEntry.objects.filter(action="after_sale.refund", object_id=str(case.pk)).count() == 1
    )
