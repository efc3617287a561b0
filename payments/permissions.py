"""Permission codenames of the payments app (declared once; services and views read these)."""

from __future__ import annotations

VIEW_TRANSACTION = "payments.view_paymenttransaction"
EXPORT_TRANSACTION = "payments.export_paymenttransaction"
VIEW_PAYMENT_PII = "payments.view_payment_pii"
VIEW_REFUND = "payments.view_refund"
RETRY_REFUND = "payments.retry_refund"
EXPORT_REFUND = "payments.export_refund"
VIEW_CALLBACK = "payments.view_callbackrecord"
VIEW_ANOMALY = "payments.view_paymentanomaly"
MANAGE_ANOMALY = "payments.manage_payment_anomaly"
VIEW_SETTLEMENT = "payments.view_settlement"
CONFIRM_SETTLEMENT = "payments.confirm_settlement"
EXPORT_SETTLEMENT = "payments.export_settlement"
VIEW_CHANNEL_HEALTH = "payments.view_channelhealth"
# Who hears about a degraded channel or a refund that keeps failing (finance and tech).
RECEIVE_PAYMENT_ALERTS = "payments.view_channelhealth"

# Reconciliation (对账): runs are whole-mall figures per channel (function permission);
# discrepancies and adjustments are scoped by the matched record's sales region.
VIEW_RECONCILIATION = "payments.view_reconciliation"
RUN_RECONCILIATION = "payments.run_reconciliation"
EXPORT_RECONCILIATION = "payments.export_reconciliation"
VIEW_DISCREPANCY = "payments.view_discrepancy"
RESOLVE_DISCREPANCY = "payments.resolve_discrepancy"
PROPOSE_ADJUSTMENT = "payments.propose_adjustment"
APPROVE_ADJUSTMENT = "payments.approve_adjustment"
VIEW_ADJUSTMENT = "payments.view_reconciliationadjustment"
