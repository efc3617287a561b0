"""Reconciliation (对账): bill parsers, the loader and the set-based matcher.

Services that use them live in ``payments/services/reconciliation.py`` (runs),
``payments/services/discrepancies.py`` (the queue) and
``payments/services/channel_funds.py`` (sales channels' statements). The design and
its contracts are in docs/RECONCILIATION.md.
"""
