"""Payments admin (财务): transactions, refunds, anomalies, callbacks, settlements and
channel health.

Every screen reads through ``payments.selectors`` (scoped) and every step is a
``@workflow_action`` button calling the same service as the API. One module per
area; importing them registers the screens.
"""

from . import (  # noqa: F401
    anomalies,
    callbacks,
    health,
    reconciliation,
    refunds,
    settlements,
    transactions,
)
