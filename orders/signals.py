"""Signals of the orders app, for apps to the right (risk) to react to.

* ``order_freeze_changed(order, frozen, actor, reason)`` — an order was frozen or its
  freeze was lifted (``services.review.order_freeze`` / ``order_unfreeze``, or an
  abusive order closed while frozen: ``services.cancellation.order_close``). Sent
  **inside** the transaction that changed the flag, so a receiver's rows (risk's
  ``FundFreeze`` records) commit or roll back with it; a receiver that raises undoes
  the change.
"""

from __future__ import annotations

from django.dispatch import Signal

order_freeze_changed = Signal()
