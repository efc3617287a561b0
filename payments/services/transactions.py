"""Collecting money: start a payment, apply what the channel reports, exactly once.

``payment_start`` (the storefront's pay endpoint) creates or reuses an unpaid
transaction and asks the channel for the client's pay parameters.
``payment_notify`` handles a channel's notification: it is recorded first (its own
transaction, so a forged one is on record too), verified by the channel's gateway, then
applied by ``payment_apply`` — the one place where a channel's "paid" becomes ours,
shared by notifications, the query fallback (``transactions_query_due``) and the member
balance:

    verify → find → compare amount → apply once under row locks → order paid → answer

* unknown transaction number → anomaly ``unknown_transaction``, answered as a failure;
* amount not the amount due → anomaly ``amount_mismatch`` and the risk hook
  ``guard("payment.callback", …)``; nothing is marked paid;
* already paid by the same channel trade → nothing changes (``duplicate``);
* the order was cancelled meanwhile → the money is recorded on the order, its refund
  opens and is sent at once (anomaly ``paid_after_cancel``);
* the order was already paid by another transaction → this one is recorded and
  refunded in full (anomaly ``duplicate_payment``).

Locks are taken order first, then transaction — the order orders' own services use —
so a callback and a cancellation or refund of the same order cannot deadlock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.exceptions import ApplicationError
from mall.core.guard import guard, review_opened
from mall.core.money import to_money
from mall.core.transitions import transition
from ops.parameters import get_parameter

from ..exceptions import (
    InvalidNotification,
    InvalidPaymentInput,
    InvalidSignature,
    UnknownTransaction,
)
from ..gateways import get_gateway, notify_url
from ..gateways.base import CLOSED, FAILED, NOTPAY, SUCCESS, Notice, NotifyAnswer, PaymentRequest
from ..models import CallbackRecord, Channel, PaymentAnomaly, PaymentTransaction, Scene
from ..parameters import QUERY_AFTER_MINUTES, fee_rate_key
from .anomalies import anomaly_open as _anomaly

logger = logging.getLogger(__name__)

T = PaymentTransaction.Status
# Signature headers kept on a callback record (never cookies or anything personal).
KEPT_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Serial",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Signature-Type",
    "X-Sandbox-Signature",
    "Content-Type",
)


def _new_number(prefix: str) -> str:
    from orders.numbers import new_number

    return new_number(prefix)


def _fee(channel: str, amount: Decimal) -> Decimal:
    """The channel's fee on ``amount`` (rate parameter; rounded half-up per payment)."""
    if channel == Channel.BALANCE:
        return Decimal("0.00")
    return to_money(amount * Decimal(get_parameter(fee_rate_key(channel))))


# --- start ----------------------------------------------------------------------------


def payment_start(
    *,
    actor,
    order,
    channel: str,
    scene: str = Scene.JSAPI,
    payer_id: str = "",
) -> dict:
    """Start paying ``order`` (the member's own, unpaid, not expired, not frozen).

    Answers ``{"transaction_no", "channel", "amount", "pay_params"}``. Starting again on
    the same channel and scene answers the same transaction (its pay parameters are
    asked again only when the first ask failed). 400 ``channel_unavailable`` for a
    channel not configured, 400 for a scene the channel does not offer, 404 for another
    member's order, 409 for an order not waiting for payment, 502 ``channel_error``
    when the channel cannot be reached (the transaction stays, unpaid; try again).
    The member balance pays at once (409 ``insufficient_balance``).
    """
    from orders.services.events import order_event_record
    from orders.services.payment import order_amount_due, order_pay_check

    gateway = get_gateway(channel)
    if scene not in gateway.scenes:
        raise InvalidPaymentInput(fields={"scene": [_("This channel does not offer this scene.")]})
    with transaction.atomic():
        order = order_pay_check(actor=actor, order=order)
        # A presale is paid twice: the deposit (until the unpaid time), then the rest
        # (until the final-payment window ends); each is its own transaction.
        due = order_amount_due(order=order)
        expires_at = _payment_expiry(order)
        txn = (
            PaymentTransaction.objects.select_for_update()
            .filter(order=order, channel=channel, scene=scene, status=T.UNPAID)
            .order_by("-id")
            .first()
        )
        if txn is not None and (txn.total_amount != due or txn.expires_at != expires_at):
            txn = None  # the amount due changed (a presale's deposit was paid): never reuse
        if txn is None:
            txn = PaymentTransaction.objects.create(
                transaction_no=_new_number("PT"),
                purpose=PaymentTransaction.Purpose.ORDER,
                order=order,
                member=order.member,
                region=order.region,
                channel=channel,
                scene=scene,
                total_amount=due,
                expires_at=expires_at,
            )
            facts = {"transaction_no": txn.transaction_no, "channel": channel}
            if order.is_presale:
                facts["part"] = _presale_part(order)
            order_event_record(actor=actor, order=order, type="pay_start", data=facts)
            audit(
                actor=actor,
                action="payment.start",
                target=txn,
                after={
                    "order_no": order.order_no,
                    "channel": channel,
                    "scene": scene,
                    "amount": f"{txn.total_amount:.2f}",
                },
            )
        if gateway.settles_immediately:
            # The member balance: the debit happens inside create_payment, in this
            # transaction, and is applied at once.
            txn.pay_params = gateway.create_payment(_payment_request(txn, order, payer_id))
            txn.save(update_fields=["pay_params", "updated_at"])
            payment_apply(
                actor=actor,
                channel=channel,
                notice=gateway.query_payment(transaction_no=txn.transaction_no),
                source="balance",
            )
            txn.refresh_from_db()
            return _start_answer(txn)
        if txn.pay_params:
            return _start_answer(txn)
    # Ask the channel outside the locks: its latency must not hold the order row.
    params = gateway.create_payment(_payment_request(txn, order, payer_id))
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        pay_params=params, updated_at=timezone.now()
    )
    txn.pay_params = params
    return _start_answer(txn)


def _presale_part(order) -> str:
    """``deposit`` or ``final``: which payment of a presale is due now."""
    from orders.models import Order

    return "final" if order.status == Order.Status.DEPOSIT_PAID else "deposit"


def _payment_expiry(order):
    """Until when a transaction of ``order`` may be paid: the unpaid time, or for a
    presale's final payment the end of its final-payment window."""
    from orders.models import Order

    if order.is_presale and order.status == Order.Status.DEPOSIT_PAID:
        return order.final_payment_ends_at
    return order.expires_at


def _is_final_payment(txn: PaymentTransaction, order) -> bool:
    """Whether ``txn`` pays the rest of the deposit-paid presale ``order`` (and not a
    second payment of its deposit)."""
    from orders.services.payment import order_amount_due

    return (
        txn.transaction_no != order.deposit_payment_no
        and txn.paid_amount == order_amount_due(order=order)
        and txn.expires_at == order.final_payment_ends_at
    )


def _payment_request(txn: PaymentTransaction, order, payer_id: str) -> PaymentRequest:
    from mall.core.context import current_client_ip

    first = order.lines.order_by("id").first()
    description = first.product_title if first is not None else order.order_no
    return PaymentRequest(
        transaction_no=txn.transaction_no,
        amount=txn.total_amount,
        description=str(description)[:120],
        scene=txn.scene,
        expires_at=txn.expires_at,
        notify_url=notify_url(txn.channel),
        client_ip=current_client_ip() or "",
        payer_id=payer_id,
    )


def _start_answer(txn: PaymentTransaction) -> dict:
    return {
        "transaction_no": txn.transaction_no,
        "channel": txn.channel,
        "amount": f"{txn.total_amount:.2f}",
        "status": txn.status,
        "pay_params": txn.pay_params,
    }


# --- notifications --------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """What ``payment_apply`` did: ``applied``, ``duplicate``, ``ignored`` or ``anomaly``."""

    outcome: str
    transaction: PaymentTransaction | None = None
    error: str = ""


def _kept_headers(headers: Mapping[str, str]) -> dict:
    return {name: str(headers.get(name))[:400] for name in KEPT_HEADERS if headers.get(name)}


def payment_notify(
    *,
    actor,
    channel: str,
    headers: Mapping[str, str],
    body: bytes,
    remote_ip: str | None = None,
) -> NotifyAnswer:
    """Handle a channel's payment notification; answer in the channel's form.

    Not atomic as a whole: the record is committed first, then the notice is applied in
    its own transaction, then the record's outcome is written. A bad signature or body
    is answered with the channel's failure (401/400) and changes nothing but the record.
    """
    gateway = get_gateway(channel)
    record = CallbackRecord.objects.create(
        channel=channel,
        kind=CallbackRecord.Kind.PAYMENT,
        remote_ip=remote_ip or None,
        headers=_kept_headers(headers),
        body=body.decode("utf-8", errors="replace")[:20000],
    )
    try:
        notice = gateway.parse_notify(headers=headers, body=body)
    except (InvalidSignature, InvalidNotification) as error:
        _record_outcome(record, CallbackRecord.Outcome.REJECTED, error.code, verified=False)
        # Not a health sample: anyone can post a forged notice, and it must not make a
        # healthy channel look down (only verified notices count).
        logger.warning("payment notify rejected: channel=%s code=%s", channel, error.code)
        answer = gateway.notify_answer(
            ok=False, code=error.code, message=error.message, fields=error.fields
        )
        return NotifyAnswer(error.status_code, answer.body, answer.content_type)
    _sample(channel, ok=True)
    try:
        result = payment_apply(actor=actor, channel=channel, notice=notice, source="notify")
    except ApplicationError as error:  # e.g. a channel trade number used twice
        _record_outcome(record, CallbackRecord.Outcome.REJECTED, error.code, verified=True)
        return _failure(gateway, error)
    _record_outcome(
        record,
        result.outcome,
        result.error,
        verified=True,
        reference_no=notice.transaction_no,
        txn=result.transaction,
    )
    if result.outcome == CallbackRecord.Outcome.ANOMALY and result.error == "unknown_transaction":
        return _failure(gateway, UnknownTransaction())
    if result.outcome == CallbackRecord.Outcome.ANOMALY and result.error == "amount_mismatch":
        from ..exceptions import AmountMismatch

        return _failure(gateway, AmountMismatch())
    return gateway.notify_answer(ok=True)


def _failure(gateway, error) -> NotifyAnswer:
    answer = gateway.notify_answer(
        ok=False, code=error.code, message=error.message, fields=error.fields
    )
    return NotifyAnswer(error.status_code, answer.body, answer.content_type)


def _sample(channel: str, *, ok: bool, code: str = "") -> None:
    from ..samples import record_call

    record_call(channel, "notify", ok, 0, code)


def _record_outcome(
    record: CallbackRecord,
    outcome: str,
    error: str,
    *,
    verified: bool,
    reference_no: str = "",
    txn: PaymentTransaction | None = None,
) -> None:
    record.outcome = outcome
    record.error_code = (error or "")[:40]
    record.verified = verified
    record.reference_no = (reference_no or "")[:64]
    record.transaction = txn
    record.region_id = txn.region_id if txn is not None else None
    record.save(
        update_fields=["outcome", "error_code", "verified", "reference_no", "transaction", "region"]
    )


def payment_apply(*, actor, channel: str, notice: Notice, source: str) -> Applied:
    """Apply what the channel says about one of our transactions, exactly once.

    ``source`` is ``notify``, ``query`` or ``balance`` (audit data). Runs in its own
    transaction (or the caller's). Never raises for the channel's facts: an unknown
    transaction or a wrong amount is an anomaly (a row a person works), answered as
    ``Applied("anomaly", error=<code>)``.
    """
    with transaction.atomic():
        found = (
            PaymentTransaction.objects.filter(transaction_no=notice.transaction_no, channel=channel)
            .only("pk", "order_id")
            .first()
        )
        if found is None:
            _anomaly(
                actor=actor,
                kind=PaymentAnomaly.Kind.UNKNOWN_TRANSACTION,
                channel=channel,
                txn=None,
                reference_no=notice.transaction_no[:64],
                reported=notice.amount,
                detail=_("A paid notification names a transaction we do not have."),
            )
            return Applied("anomaly", None, "unknown_transaction")
        order = None
        if found.order_id:
            from orders.models import Order

            order = Order.objects.select_for_update().get(pk=found.order_id)
        txn = PaymentTransaction.objects.select_for_update().get(pk=found.pk)
        facts = {
            "transaction_no": txn.transaction_no,
            "channel_trade_no": notice.channel_trade_no,
            "reported_amount": f"{notice.amount:.2f}" if notice.amount is not None else None,
            "source": source,
        }
        if notice.status == NOTPAY:
            return Applied("ignored", txn)
        if notice.status in (CLOSED, FAILED):
            if txn.status == T.UNPAID and notice.status == CLOSED:
                transition(
                    txn,
                    T.CANCELLED,
                    actor=actor,
                    action="payment.close",
                    data=facts,
                    closed_at=timezone.now(),
                )
                return Applied("applied", txn)
            if notice.status == FAILED and order is not None:
                from orders.services.events import order_event_record

                order_event_record(actor=actor, order=order, type="payment_failed", data=facts)
                audit(actor=actor, action="payment.failed", target=txn, data=facts)
            return Applied("ignored", txn)
        if notice.status != SUCCESS:
            return Applied("ignored", txn)
        # The amount first: a wrong amount is never "already applied", even when the
        # right one arrived before it (the channel must not be told all is well).
        if notice.amount is None or Decimal(notice.amount) != txn.total_amount:
            _anomaly(
                actor=actor,
                kind=PaymentAnomaly.Kind.AMOUNT_MISMATCH,
                channel=channel,
                txn=txn,
                reference_no=txn.transaction_no,
                reported=notice.amount,
                detail=_("The channel reports another amount than the amount due."),
            )
            verdict = guard("payment.callback", transaction=txn, reported_amount=notice.amount)
            logger.warning(
                "payment amount mismatch: txn=%s risk=%s", txn.transaction_no, verdict.decision
            )
            if verdict.needs_review:  # risk's case opener, once the anomaly is committed
                reported = str(notice.amount)[:40]
                transaction.on_commit(
                    lambda: review_opened(
                        point="payment.callback",
                        verdict=verdict,
                        subject=txn,
                        context={"reported_amount": reported},
                    ),
                    robust=True,
                )
            return Applied("anomaly", txn, "amount_mismatch")
        if txn.paid_at is not None:
            return Applied("duplicate", txn)
        _mark_paid(actor, txn, notice, facts)
        if txn.purpose == PaymentTransaction.Purpose.RECHARGE:
            _recharge_credit(actor, txn)
        elif order is not None:
            _order_paid(actor, txn, order, notice)
        return Applied("applied", txn)


def _mark_paid(actor, txn: PaymentTransaction, notice: Notice, facts: dict) -> None:
    paid_at = notice.paid_at or timezone.now()
    amount = to_money(notice.amount)
    changes = {
        "paid_amount": amount,
        "discount_amount": to_money(notice.discount_amount or 0),
        "paid_at": paid_at,
        "fee_amount": _fee(txn.channel, amount),
    }
    if notice.channel_trade_no:
        changes["channel_trade_no"] = notice.channel_trade_no[:64]
    if notice.payer:
        txn.payer = notice.payer
        txn.save(update_fields=["payer_encrypted"])
    try:
        with transaction.atomic():
            transition(txn, T.PAID, actor=actor, action="payment.paid", data=facts, **changes)
    except IntegrityError:
        # The channel trade number belongs to another of our transactions: never mark
        # two rows paid by one trade.
        raise InvalidNotification(_("This channel trade number was used already.")) from None


def _recharge_credit(actor, txn: PaymentTransaction) -> None:
    from members.services.balance import balance_recharge

    balance_recharge(
        actor=actor, member=txn.member, amount=txn.paid_amount, reference=txn.transaction_no
    )


def _order_paid(actor, txn: PaymentTransaction, order, notice: Notice) -> None:
    from orders.models import Order
    from orders.services.payment import order_mark_paid, order_record_late_payment

    if order.status == Order.Status.PENDING_PAYMENT or (
        order.status == Order.Status.DEPOSIT_PAID and _is_final_payment(txn, order)
    ):
        order_mark_paid(
            actor=actor,
            order=order,
            amount=txn.paid_amount,
            payment_no=txn.transaction_no,
            channel=txn.channel,
            paid_at=txn.paid_at,
        )
        return
    if order.status in (Order.Status.CANCELLED, Order.Status.CLOSED) and order.paid_at is None:
        case = order_record_late_payment(
            actor=actor,
            order=order,
            amount=txn.paid_amount,
            payment_no=txn.transaction_no,
            channel=txn.channel,
            channel_trade_no=txn.channel_trade_no,
            paid_at=txn.paid_at,
        )
        _anomaly(
            actor=actor,
            kind=PaymentAnomaly.Kind.PAID_AFTER_CANCEL,
            channel=txn.channel,
            txn=txn,
            reference_no=txn.transaction_no,
            reported=txn.paid_amount,
            detail=_("Paid after the order was cancelled; refunded automatically."),
        )
        if case is not None:
            _after_commit_execute(case)
        return
    # Paid already through another transaction (or the order moved on): give it back.
    _anomaly(
        actor=actor,
        kind=PaymentAnomaly.Kind.DUPLICATE_PAYMENT,
        channel=txn.channel,
        txn=txn,
        reference_no=txn.transaction_no,
        reported=txn.paid_amount,
        detail=_("The order was paid already; this payment is refunded in full."),
    )
    from .refunds import refund_create

    refund_create(
        actor=actor,
        transaction=txn,
        amount=txn.paid_amount,
        source="duplicate",
        reason=_("Duplicate payment"),
    )


def _after_commit_execute(case) -> None:
    """Execute a late payment's refund request at once (the system, after commit)."""
    from mall.core.actors import system_actor

    def run() -> None:
        from orders.services.after_sales import after_sale_refund_execute

        try:
            after_sale_refund_execute(actor=system_actor(), after_sale=case)
        except Exception:
            logger.exception("automatic refund of %s failed", case.case_no)

    transaction.on_commit(run)


# --- query fallback -------------------------------------------------------------------


def transactions_query_due(*, actor, limit: int = 200) -> dict:
    """Ask the channels about transactions still unpaid after
    ``payments.query_after_minutes`` (the job, every few minutes).

    Paid at the channel → applied like a notification. Not paid and no longer payable
    (the order left ``pending_payment`` or its time ran out) → closed at the channel,
    then ``cancelled`` here. A channel that cannot be reached is asked again next run.
    Answers counts ``{"asked", "applied", "closed", "failed"}``.
    """
    from orders.models import Order

    now = timezone.now()
    after = now - timedelta(minutes=int(get_parameter(QUERY_AFTER_MINUTES)))
    due = list(
        PaymentTransaction.objects.filter(status=T.UNPAID, created_at__lte=after)
        .exclude(channel=Channel.BALANCE)
        .exclude(last_queried_at__gt=now - timedelta(minutes=2))
        .select_related("order")
        .order_by("created_at")[:limit]
    )
    counts = {"asked": 0, "applied": 0, "closed": 0, "failed": 0}
    for txn in due:
        PaymentTransaction.objects.filter(pk=txn.pk).update(last_queried_at=now)
        try:
            gateway = get_gateway(txn.channel)
            counts["asked"] += 1
            notice = gateway.query_payment(transaction_no=txn.transaction_no)
            if notice.status == SUCCESS:
                if (
                    payment_apply(
                        actor=actor, channel=txn.channel, notice=notice, source="query"
                    ).outcome
                    == "applied"
                ):
                    counts["applied"] += 1
                continue
            in_time = txn.expires_at is None or txn.expires_at > now
            payable = (
                in_time  # a recharge has no order: payable until its own time runs out
                if txn.order is None
                else (
                    txn.order.status == Order.Status.PENDING_PAYMENT
                    and in_time
                    and (txn.order.expires_at is None or txn.order.expires_at > now)
                )
                or (  # a presale's final payment, inside its window
                    txn.order.status == Order.Status.DEPOSIT_PAID
                    and in_time
                    and txn.expires_at == txn.order.final_payment_ends_at
                )
            )
            if notice.status == CLOSED or not payable:
                if notice.status != CLOSED:
                    gateway.close_payment(transaction_no=txn.transaction_no)
                closed = Notice(transaction_no=txn.transaction_no, status=CLOSED)
                payment_apply(actor=actor, channel=txn.channel, notice=closed, source="query")
                counts["closed"] += 1
        except ApplicationError as error:  # the channel, or one transaction's facts
            counts["failed"] += 1
            logger.warning("query of %s failed: %s", txn.transaction_no, error.code)
    return counts


def transaction_query(*, actor, transaction: PaymentTransaction) -> dict:
    """Ask the channel about one transaction now and apply what it says, like the query
    fallback: paid at the channel → ``payment_apply`` (idempotent by our number; a
    payment applied before is a ``duplicate``). A transaction outside the actor's scope
    is ``TransactionNotFound``; a channel that cannot be reached raises its
    ``ChannelError`` / ``ChannelUnavailable``. Answers the channel's facts as plain data
    ``{"status", "amount", "channel_trade_no", "paid_at", "outcome"}`` (never the payer).
    """
    from ..exceptions import TransactionNotFound
    from ..selectors import transaction_list

    if not transaction_list(actor=actor).filter(pk=transaction.pk).exists():
        raise TransactionNotFound()
    notice = get_gateway(transaction.channel).query_payment(
        transaction_no=transaction.transaction_no
    )
    outcome = ""
    if notice.status == SUCCESS:
        outcome = payment_apply(
            actor=actor, channel=transaction.channel, notice=notice, source="query"
        ).outcome
    return {
        "status": notice.status,
        "amount": f"{notice.amount:.2f}" if notice.amount is not None else None,
        "channel_trade_no": notice.channel_trade_no,
        "paid_at": notice.paid_at.isoformat() if notice.paid_at else None,
        "outcome": outcome,
    }
