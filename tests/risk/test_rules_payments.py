# ruff: noqa: F811, F403 - fixtures imported from the payments tests are parameters here
"""``payment_amount_mismatch`` through the sandbox callback (``payment_notify``): a wrong
amount is refused by payments and sent to review by risk; the right amount pays."""

from __future__ import annotations

import pytest

from orders.services.placement import order_place
from payments.models import PaymentAnomaly, PaymentTransaction
from payments.services.transactions import payment_start
from risk.models import RiskCase, RiskEvent
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    notify_body,
    on_shelf_sku,
    sandbox_post,
)
from tests.payments.conftest import *

pytestmark = pytest.mark.django_db


def set_parameter(key: str, value) -> None:
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


@pytest.fixture
def started(buyer, on_shelf_sku):
    """An unpaid order (120.00) with its unpaid sandbox transaction."""
    member = buyer()
    item = on_shelf_sku(10, price="120.00")
    order = order_place(actor=member, address=SHANGHAI, lines=[{"sku": item.code, "quantity": 1}])
    answer = payment_start(actor=member, order=order, channel="sandbox")
    return order, PaymentTransaction.objects.get(transaction_no=answer["transaction_no"])


def test_a_wrong_amount_is_refused_and_opens_a_case_with_both_amounts(
    started, api_client, django_capture_on_commit_callbacks
):
    order, txn = started

    with django_capture_on_commit_callbacks(execute=True):
        answer = sandbox_post(api_client, notify_body(txn.transaction_no, "1.00"))

    assert answer.status_code == 400 and answer.json()["error"]["code"] == "amount_mismatch"
    txn.refresh_from_db()
    assert txn.paid_at is None
    assert PaymentAnomaly.objects.get().kind == "amount_mismatch"
    event = RiskEvent.objects.get()
    assert (event.point, event.decision, event.rule) == (
        "payment.callback",
        "review",
        "payment_amount_mismatch",
    )
    case = RiskCase.objects.get()
    assert (case.rule, case.kind, case.order_id, case.region_id) == (
        "payment_amount_mismatch",
        "payment_mismatch",
        order.pk,
        order.region_id,
    )
    evidence = case.evidence
    assert evidence["transaction_no"] == txn.transaction_no
    assert (evidence["expected_amount"], evidence["reported_amount"]) == (
        f"{txn.total_amount:.2f}",
        "1.00",
    )
    assert evidence["orders"] == [order.order_no]


def test_the_amount_due_pays_and_tells_risk_nothing(
    started, api_client, django_capture_on_commit_callbacks
):
    _order, txn = started

    with django_capture_on_commit_callbacks(execute=True):
        answer = sandbox_post(
            api_client, notify_body(txn.transaction_no, f"{txn.total_amount:.2f}")
        )

    assert answer.status_code == 200
    txn.refresh_from_db()
    assert txn.paid_amount == txn.total_amount and txn.paid_at is not None
    assert not RiskEvent.objects.exists() and not RiskCase.objects.exists()


def test_a_switched_off_mismatch_rule_leaves_the_anomaly_to_payments(
    started, api_client, django_capture_on_commit_callbacks
):
    _order, txn = started
    set_parameter("risk.payment_amount_mismatch_enabled", False)

    with django_capture_on_commit_callbacks(execute=True):
        answer = sandbox_post(api_client, notify_body(txn.transaction_no, "1.00"))

    assert answer.status_code == 400
    assert PaymentAnomaly.objects.get().kind == "amount_mismatch"
    assert not RiskEvent.objects.exists() and not RiskCase.objects.exists()
