"""The status tables of the payments app (imported in ``PaymentsConfig.ready``)."""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import PaymentAnomaly, PaymentTransaction, Refund, Settlement

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
