"""The status tables of the payments app (imported in ``PaymentsConfig.ready``)."""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import (
    Discrepancy,
    PaymentAnomaly,
    PaymentTransaction,
    Reconciliation,
    ReconciliationAdjustment,
    Refund,
    Settlement,
)

T = PaymentTransaction.Status

TRANSACTION_TRANSITIONS = register_transitions(
    PaymentTransaction,
    {
        T.UNPAID: {T.PAID, T.CANCELLED},
        # a payment can arrive after we closed (the channel's close raced the payer):
        # the money is recorded and refunded (cancelled → paid)
        T.CANCELLED: {T.PAID},
        T.PAID: {T.PARTIALLY_REFUNDED, T.REFUNDED},
        T.PARTIALLY_REFUNDED: {T.PARTIALLY_REFUNDED, T.REFUNDED},
        T.REFUNDED: set(),
    },
)

R = Refund.Status

REFUND_TRANSITIONS = register_transitions(
    Refund,
    {
        R.PENDING: {R.PROCESSING, R.SUCCEEDED, R.FAILED},
        R.PROCESSING: {R.SUCCEEDED, R.FAILED, R.PROCESSING},
        R.FAILED: {R.PROCESSING, R.SUCCEEDED, R.FAILED},
        R.SUCCEEDED: set(),
    },
)

A = PaymentAnomaly.Status

ANOMALY_TRANSITIONS = register_transitions(
    PaymentAnomaly, {A.OPEN: {A.RESOLVED}, A.RESOLVED: set()}
)

S = Settlement.Status

SETTLEMENT_TRANSITIONS = register_transitions(
    Settlement, {S.DRAFT: {S.CONFIRMED}, S.CONFIRMED: set()}
)

RC = Reconciliation.Status

# A redelivered task (worker lost) finds its run running and starts it over.
RECONCILIATION_TRANSITIONS = register_transitions(
    Reconciliation,
    {
        RC.QUEUED: {RC.RUNNING, RC.FAILED},
        RC.RUNNING: {RC.RUNNING, RC.DONE, RC.FAILED},
        RC.DONE: set(),
        RC.FAILED: set(),
    },
)

D = Discrepancy.Status

# held: a cross-day item waiting for the neighbouring day's bill; cleared: that bill
# showed it; superseded: the run was re-done. resolved / adjusted are finance's.
DISCREPANCY_TRANSITIONS = register_transitions(
    Discrepancy,
    {
        D.HELD: {D.CLEARED, D.OPEN, D.SUPERSEDED},
        D.OPEN: {D.CLEARED, D.RESOLVED, D.ADJUSTED, D.SUPERSEDED, D.OPEN},
        D.CLEARED: set(),
        D.RESOLVED: set(),
        D.ADJUSTED: set(),
        D.SUPERSEDED: set(),
    },
)

AD = ReconciliationAdjustment.Status

ADJUSTMENT_TRANSITIONS = register_transitions(
    ReconciliationAdjustment,
    {AD.PROPOSED: {AD.APPROVED, AD.REJECTED}, AD.APPROVED: set(), AD.REJECTED: set()},
)
