"""Promotions (营销): flash-sale sessions, campaigns, presale, results, recommendations.

One module per area (contracts in ``docs/PROMOTIONS.md``):

* ``flash`` — sessions' life (create, approve, open, close), the placement's checks
  and claims, the returns on cancellation; ``gate`` — the Redis gate in front of it;
* ``campaigns`` — campaigns' life, the price step (``campaign_step``), budget use;
* ``presale`` — deposit and final payment, forfeit / refund rules;
* ``results`` — campaign and session figures, the review report;
* ``events`` — storefront view counts; ``recommendations`` — nightly tables and reads;
* ``preheat`` — pre-heat notices, hot-item stock alerts.

Models are in ``orders/models/promotions.py``; statuses move only through
``orders/services/transitions.py``.
"""
