"""Risk rules (payments); see risk/rules/__init__.py.

* ``payment_amount_mismatch`` (``payment.callback``) — payments calls the guard only
  when a channel reports another amount than the amount due (it has already refused
  the notification and recorded its anomaly): the rule sends it to review so a risk
  officer looks at the transaction, with the expected and reported amounts.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .base import review, rule


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


@rule("payment.callback", "payment_amount_mismatch")
def payment_amount_mismatch(*, settings, transaction, reported_amount=None, **context):
    expected = transaction.total_amount
    reported = _amount(reported_amount)
    if reported is not None and reported == expected:
        return None
    order_no = getattr(transaction.order, "order_no", None) if transaction.order_id else None
    shown = f"{reported:.2f}" if reported is not None else str(reported_amount or "")[:40]
    return review(
        "payment_amount_mismatch",
        _("Transaction %(no)s: the channel reported %(reported)s, %(expected)s is due.")
        % {"no": transaction.transaction_no, "reported": shown or "-", "expected": expected},
        score=80,
        transaction_no=transaction.transaction_no,
        expected_amount=f"{expected:.2f}",
        reported_amount=shown,
        channel=str(getattr(transaction, "channel", "") or ""),
        orders=[order_no] if order_no else [],
        members=[transaction.member_id] if getattr(transaction, "member_id", None) else [],
    )
