"""Giving money back through the channel that collected it.

``refund_create`` reserves the amount on the transaction with one conditional UPDATE
(``refunded_amount + amount <= paid_amount``): two refunds racing for the last yuan
cannot both win, whatever opened them (after-sales, cancellation, duplicate payment).
The refund is then sent to the channel after commit (``refund_send``), idempotent at
the channel by ``refund_no``; its success completes the orders case through
``orders.services.after_sales.after_sale_refund_settle``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction as db_transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.money import to_money

from ..exceptions import InvalidPaymentInput, PaymentStateConflict, RefundExceedsPaid
from ..models import PaymentTransaction, Refund

T = PaymentTransaction.Status


def _fee_back(txn: PaymentTransaction, amount: Decimal) -> Decimal:
    """The part of the channel fee a refund returns: pro rata, never more than charged."""
    if txn.paid_amount <= 0 or txn.fee_amount <= 0:
        return Decimal("0.00")
    returned = (
        Refund.objects.filter(transaction=txn)
        .exclude(status=Refund.Status.FAILED)
        .values_list("fee_refund_amount", flat=True)
    )
    left = txn.fee_amount - sum(returned, Decimal("0.00"))
    return max(Decimal("0.00"), min(left, to_money(txn.fee_amount * amount / txn.paid_amount)))


@db_transaction.atomic
def refund_create(
    *,
    actor,
    transaction: PaymentTransaction,
    amount,
    source: str,
    reason: str = "",
    after_sale_case_no: str = "",
) -> Refund:
    """Reserve ``amount`` of ``transaction`` for a refund and record it (``pending``).

    Raises 400 for a non-positive amount, 409 ``invalid_state`` for a transaction not
    paid, 409 ``refund_exceeds_paid`` when the refunds would exceed what was paid (also
    under concurrent requests: the reservation is one conditional UPDATE). One refund
    per after-sales case (a second call for the same case returns the first). The
    refund is sent to the channel after commit.
    """
    from orders.numbers import new_number

    amount = to_money(amount)
    if amount <= 0:
        raise InvalidPaymentInput(fields={"amount": [_("The amount must be positive.")]})
    if after_sale_case_no:
        existing = Refund.objects.filter(after_sale_case_no=after_sale_case_no).first()
        if existing is not None:
            return existing
    txn = PaymentTransaction.objects.select_for_update().get(pk=transaction.pk)
    if txn.status not in (T.PAID, T.PARTIALLY_REFUNDED):
        raise PaymentStateConflict(_("Only a paid transaction can be refunded."))
    moved = PaymentTransaction.objects.filter(
        pk=txn.pk, refunded_amount__lte=F("paid_amount") - amount
    ).update(refunded_amount=F("refunded_amount") + amount)
    if moved != 1:
        raise RefundExceedsPaid(
            extra={"refundable": f"{txn.refundable_amount:.2f}", "requested": f"{amount:.2f}"}
        )
    refund = Refund.objects.create(
        refund_no=new_number("RF"),
        transaction=txn,
        order=txn.order,
        region=txn.region,
        channel=txn.channel,
        source=source,
        after_sale_case_no=after_sale_case_no,
        amount=amount,
        fee_refund_amount=_fee_back(txn, amount),
        reason=str(reason)[:200],
        requested_by=actor if getattr(actor, "is_staff", False) else None,
    )
    audit(
        actor=actor,
        action="payment.refund_create",
        target=refund,
        after={
            "transaction_no": txn.transaction_no,
            "amount": f"{amount:.2f}",
            "source": source,
            "after_sale": after_sale_case_no,
        },
    )
    # Sending after commit: the channel must never refund money we then roll back.
    # Robust: a queue that fails must not turn the committed work (a callback's answer)
    # into a 500 — the refund stays pending and is sent by the retry.
    db_transaction.on_commit(lambda: _send_later(refund.pk), robust=True)
    return refund


def _send_later(refund_pk: int) -> None:
    """Queue the send (Celery; eager in the demo and tests)."""
    from ..tasks import send_refund

    send_refund.delay(refund_pk)


def refund_submit_for_case(*, actor, order, after_sale, amount) -> str:
    """Provider of ``orders.refund_submit`` (contract in ``orders/hooks.py``).

    The order's paying transaction (``order.payment_no``) gets a refund of ``amount``
    for the case (one per case). Answers ``"offline"`` when the order was not paid
    through a channel of ours, ``"succeeded"`` when the channel settles at once (member
    balance), else ``"pending"`` (the refund is sent after commit; its success calls
    ``after_sale_refund_settle``).
    """
    txn = (
        PaymentTransaction.objects.filter(
            order_id=order.pk, transaction_no=order.payment_no or "-"
        ).first()
        if order.payment_no
        else None
    )
    if txn is None:
        return "offline"
    refund = refund_create(
        actor=actor,
        transaction=txn,
        amount=amount,
        source=Refund.Source.AFTER_SALE,
        reason=after_sale.get_reason_display(),
        after_sale_case_no=after_sale.case_no,
    )
    return "succeeded" if refund.status == Refund.Status.SUCCEEDED else "pending"
