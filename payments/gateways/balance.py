"""The member balance (储值) as a payment channel.

Its "server" is our own ledger (``members.services.balance``), so — the one exception
to "gateways never touch the database" — it reads and writes inside the caller's
transaction: ``create_payment`` debits the member (reference = the transaction number;
409 ``insufficient_balance``), ``refund`` credits them back (reference = the refund
number). Both settle at once (``settles_immediately``); posting the same reference
again changes nothing. No notifications, no bills.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.utils.translation import gettext as _

from .base import (
    NOTPAY,
    REFUND_FAILED,
    REFUND_SUCCESS,
    SUCCESS,
    ChannelError,
    Gateway,
    InvalidNotification,
    Notice,
    NotifyAnswer,
    PaymentRequest,
    RefundRequest,
    RefundResult,
)


def _transaction(transaction_no: str):
    from ..models import PaymentTransaction

    return (
        PaymentTransaction.objects.select_related("member")
        .filter(transaction_no=transaction_no, channel="balance")
        .first()
    )


def _entry(kind: str, reference: str):
    from members.models import BalanceEntry

    return BalanceEntry.objects.filter(kind=kind, reference=reference).first()


class BalanceGateway(Gateway):
    channel = "balance"
    settles_immediately = True
    scenes = ("jsapi", "app", "h5", "native", "mini_program")

    def create_payment(self, request: PaymentRequest) -> dict:
        from mall.core.actors import system_actor
        from members.services.balance import balance_pay

        txn = _transaction(request.transaction_no)
        if txn is None:
            raise ChannelError(channel_code="UNKNOWN_TRANSACTION", retryable=False)
        entry = balance_pay(
            actor=system_actor(),
            member=txn.member,
            amount=request.amount,
            reference=request.transaction_no,
        )
        return {"balance": True, "entry": entry.pk, "balance_after": f"{entry.balance_after:.2f}"}

    def query_payment(self, *, transaction_no: str) -> Notice:
        from members.models import BalanceEntry

        entry = _entry(BalanceEntry.Kind.PAY, transaction_no)
        if entry is None:
            return Notice(transaction_no=transaction_no, status=NOTPAY)
        return Notice(
            transaction_no=transaction_no,
            status=SUCCESS,
            amount=-entry.amount,
            channel_trade_no=f"BAL{entry.pk}",
            paid_at=entry.created_at,
        )

    def close_payment(self, *, transaction_no: str) -> None:
        return None

    def refund(self, request: RefundRequest) -> RefundResult:
        from mall.core.actors import system_actor
        from members.services.balance import balance_refund

        txn = _transaction(request.transaction_no)
        if txn is None:
            return RefundResult(
                refund_no=request.refund_no, status=REFUND_FAILED, error="UNKNOWN_TRANSACTION"
            )
        entry = balance_refund(
            actor=system_actor(),
            member=txn.member,
            amount=request.amount,
            reference=request.refund_no,
        )
        return RefundResult(
            refund_no=request.refund_no,
            status=REFUND_SUCCESS,
            channel_refund_no=f"BAL{entry.pk}",
            amount=entry.amount,
            succeeded_at=entry.created_at,
        )

    def query_refund(self, *, refund_no: str, transaction_no: str) -> RefundResult:
        from members.models import BalanceEntry

        entry = _entry(BalanceEntry.Kind.REFUND, refund_no)
        if entry is None:
            return RefundResult(refund_no=refund_no, status=REFUND_FAILED, error="NOT_FOUND")
        return RefundResult(
            refund_no=refund_no,
            status=REFUND_SUCCESS,
            channel_refund_no=f"BAL{entry.pk}",
            amount=entry.amount,
            succeeded_at=entry.created_at,
        )

    def parse_notify(self, *, headers: Mapping[str, str], body: bytes) -> Notice:
        raise InvalidNotification(_("The member balance sends no notifications."))

    def parse_refund_notify(self, *, headers: Mapping[str, str], body: bytes) -> RefundResult:
        raise InvalidNotification(_("The member balance sends no notifications."))

    def notify_answer(
        self, *, ok: bool, code: str = "", message: str = "", fields: dict | None = None
    ) -> NotifyAnswer:
        import json

        from mall.core.exceptions import error_body

        if ok:
            return NotifyAnswer(200, b'{"code": "SUCCESS"}')
        body = error_body(code or "invalid_notification", message)  # the API's error shape
        return NotifyAnswer(400, json.dumps(body, ensure_ascii=False).encode())

    def download_bill(self, *, bill_date: date) -> bytes:
        raise ChannelError(
            _("The member balance has no bill: it is our own ledger."),
            channel_code="NO_BILL",
            retryable=False,
        )
