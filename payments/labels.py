"""Chinese labels of the codes payments writes (collected by ``mall.core.labels``).

Audit actions, staff notification kinds and scheduled tasks. Each part of the app
keeps its labels in its own section below (helpers add to their section only).
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # --- transactions and callbacks ---
    "payment.start": _("Payment started"),
    "payment.paid": _("Payment received"),
    "payment.close": _("Payment closed"),
    "payment.failed": _("Payment failed"),
    "payment.anomaly": _("Payment anomaly recorded"),
    # --- refunds and balance ---
    "payment.refund_create": _("Refund created"),
    "payment.refund_attempt_failed": _("Refund attempt failed"),
    "payment.refund_failed": _("Refund failed"),
    "payment.refund_processing": _("Refund processing at the channel"),
    "payment.refund_succeeded": _("Refund succeeded"),
    "payment.refunded": _("Payment refunded"),
    "payment.refund_retry": _("Refund retried"),
    "payment.recharge_start": _("Balance recharge started"),
    # --- settlement, health, finance screens ---
    "payment.settlement_compute": _("Settlement computed"),
    "payment.settlement_confirm": _("Settlement confirmed"),
    "payment.channel_health": _("Channel health changed"),
    "payment.anomaly_resolve": _("Payment anomaly resolved"),
    # --- reconciliation ---
    "reconciliation.start": _("Reconciliation started"),
    "reconciliation.run": _("Reconciliation running"),
    "reconciliation.download": _("Bill downloaded from the channel"),
    "reconciliation.done": _("Reconciliation finished"),
    "reconciliation.fail": _("Reconciliation failed"),
    "reconciliation.supersede": _("Reconciliation superseded by a new run"),
    "reconciliation.escalate": _("Held cross-day item opened"),
    "reconciliation.cross_day_cleared": _("Cross-day item cleared"),
    "reconciliation.export": _("Reconciliation report downloaded"),
    "reconciliation.discrepancy_resolve": _("Discrepancy resolved"),
    "reconciliation.discrepancy_requery": _("Discrepancy re-queried at the channel"),
    "reconciliation.discrepancy_adjust": _("Discrepancy adjusted"),
    "reconciliation.adjustment_propose": _("Adjustment proposed"),
    "reconciliation.adjustment_approve": _("Adjustment approved"),
    "reconciliation.adjustment_reject": _("Adjustment rejected"),
}

NOTIFICATION_KINDS = {
    # --- transactions and callbacks ---
    "payments.anomaly": _("Payment anomaly"),
    # --- refunds and balance ---
    "payments.refund_failed": _("Refund failed"),
    # --- settlement, health, finance screens ---
    "payments.channel_degraded": _("Payment channel degraded"),
    # --- reconciliation ---
    "payments.reconciliation_failed": _("Reconciliation failed"),
    "payments.reconciliation_open": _("Reconciliation discrepancies to work"),
}

TASK_LABELS = {
    # --- transactions and callbacks ---
    "payments: query unpaid transactions": _("Query unpaid payments"),
    "payments.query_due": _("Query unpaid payments"),
    # --- refunds and balance ---
    "payments: retry due refunds": _("Retry due refunds"),
    "payments.refunds_retry_due": _("Retry due refunds"),
    # --- settlement, health, finance screens ---
    "payments: compute settlements": _("Compute yesterday's settlements"),
    "payments.settlements_compute": _("Compute yesterday's settlements"),
    "payments: channel health": _("Check payment channel health"),
    "payments.channel_health": _("Check payment channel health"),
    # --- reconciliation ---
    "payments: reconcile yesterday's bills": _("Reconcile yesterday's channel bills"),
    "payments.reconcile_yesterday": _("Reconcile yesterday's channel bills"),
}
