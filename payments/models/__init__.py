"""Models of the payments app: transactions, refunds, callbacks, anomalies, settlements,
channel health (``transactions``) and reconciliation (``reconciliation``)."""

from .reconciliation import (  # noqa: F401
    SUMMARY_KEYS,
    BillLine,
    Discrepancy,
    DiscrepancyKind,
    Reconciliation,
    ReconciliationAdjustment,
)
from .transactions import (  # noqa: F401
    CallbackRecord,
    Channel,
    ChannelCall,
    ChannelHealth,
    PaymentAnomaly,
    PaymentTransaction,
    Refund,
    Scene,
    Settlement,
)
