"""Giving money back through the channel that collected it.

``refund_create`` reserves the amount on the transaction with one conditional UPDATE
(``refunded_amount + amount <= paid_amount``): two refunds racing for the last yuan
cannot both win, whatever opened them (after-sales, cancellation, duplicate payment).
The refund is then sent to the channel after commit (``refund_send``), idempotent at
the channel by ``refund_no``; its success completes the orders case through
``orders.services.after_sales.after_sale_refund_settle``.

Sending: the channel is called outside any row lock; its answer is applied under the
locks (order → transaction → refund, the order every payments and orders service
takes). ``SUCCESS`` → ``succeeded`` (the transaction follows: ``partially_refunded`` /
``refunded`` by the sum of succeeded refunds; an after-sales case is settled);
``PROCESSING`` → ``processing`` (the channel's refund notification or a query finishes
it); a channel error → tried again with backoff (1, 2, 4, 8 … minutes) until
``payments.refund_max_attempts``, then ``failed`` + anomaly ``refund_failed`` + a notice
to whoever may retry it (``refund_retry``). The member balance settles at once, inside
the creating transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from django.db import transaction as db_transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor, system_actor
from mall.core.audit import audit
from mall.core.exceptions import ApplicationError
from mall.core.money import to_money
from mall.core.transitions import transition
from ops.parameters import get_parameter

from .. import permissions as perms
from ..exceptions import (
    ChannelError,
    ChannelUnavailable,
    InvalidNotification,
    InvalidPaymentInput,
    InvalidSignature,
    PaymentsPermissionDenied,
    PaymentStateConflict,
    RefundExceedsPaid,
)
from ..gateways import get_gateway
from ..gateways.base import (
    REFUND_FAILED,
    REFUND_PROCESSING,
    REFUND_SUCCESS,
    NotifyAnswer,
    RefundRequest,
    RefundResult,
)
from ..models import CallbackRecord, PaymentAnomaly, PaymentTransaction, Refund
from ..parameters import REFUND_MAX_ATTEMPTS
from .anomalies import anomaly_open

logger = logging.getLogger(__name__)

T = PaymentTransaction.Status
R = Refund.Status
# A send in flight holds its refund this long: the retry job leaves it alone meanwhile
# (and sends it again if the worker died). Also the first safety net after creation.
SEND_LEASE = timedelta(minutes=2)
# A refund the channel is still processing is queried when untouched this long.
PROCESSING_QUERY_AFTER = timedelta(minutes=10)


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
    refund is sent to the channel after commit — on the member balance (our own
    ledger) at once, in this transaction: it is answered ``succeeded``.
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
    if after_sale_case_no:
        # Again under the transaction's lock: a concurrent call for the same case that
        # got here first has committed its refund (one per case, UNIQUE as well).
        existing = Refund.objects.filter(after_sale_case_no=after_sale_case_no).first()
        if existing is not None:
            return existing
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
        # The job sends it if the after-commit send never ran (worker lost).
        next_attempt_at=timezone.now() + SEND_LEASE,
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
    if _settles_immediately(txn.channel):
        # The member balance is our own ledger: money back now, in this transaction.
        return refund_send(actor=actor, refund=refund)
    # Sending after commit: the channel must never refund money we then roll back.
    # Robust: a queue that fails must not turn the committed work (a callback's answer)
    # into a 500 — the refund stays pending and is sent by the retry.
    db_transaction.on_commit(lambda: _send_later(refund.pk), robust=True)
    return refund


def _settles_immediately(channel: str) -> bool:
    try:
        return get_gateway(channel).settles_immediately
    except ChannelUnavailable:  # configured no more: the send fails and is retried
        return False


def _send_later(refund_pk: int) -> None:
    """Queue the send (Celery; eager in the demo and tests)."""
    from ..tasks import send_refund

    send_refund.delay(refund_pk)


DEPOSIT_PART_SUFFIX = "-D"


def _case_no_of(refund: Refund) -> str:
    """The after-sales case a refund executes (a presale's deposit part carries the case
    number with ``DEPOSIT_PART_SUFFIX``: one refund per transaction and case)."""
    return refund.after_sale_case_no.removesuffix(DEPOSIT_PART_SUFFIX)


def _order_transactions(order) -> list[PaymentTransaction]:
    """The transactions that paid ``order``: the paying one (``payment_no``) first, then
    a presale's deposit (``deposit_payment_no``)."""
    numbers = [
        number for number in (order.payment_no, getattr(order, "deposit_payment_no", "")) if number
    ]
    found = {
        txn.transaction_no: txn
        for txn in PaymentTransaction.objects.filter(order_id=order.pk, transaction_no__in=numbers)
    }
    return [found[number] for number in dict.fromkeys(numbers) if number in found]


def refund_submit_for_case(*, actor, order, after_sale, amount) -> str:
    """Provider of ``orders.refund_submit`` (contract in ``orders/hooks.py``).

    The order's paying transaction (``order.payment_no``) gets a refund of ``amount``
    for the case (one per case). A presale was paid by two transactions: the amount is
    taken from the final payment first (up to what it can still give back), the rest
    from the deposit's transaction (a second refund, its case number suffixed
    ``-D``; a presale cancelled after its deposit has only the deposit to refund);
    the case completes when both succeeded. Answers ``"offline"`` when the order was
    not paid through a channel of ours, ``"succeeded"`` when the channel settles at
    once (member balance), else ``"pending"`` (the refund is sent after commit; its
    success calls ``after_sale_refund_settle``).
    """
    transactions = _order_transactions(order)
    if not transactions:
        return "offline"
    amount = to_money(amount)
    parts: list[tuple[PaymentTransaction, Decimal, str]] = []
    left = amount
    for index, txn in enumerate(transactions):
        last = index == len(transactions) - 1
        share = left if last else min(left, txn.refundable_amount)
        if share > 0:
            suffix = DEPOSIT_PART_SUFFIX if parts else ""  # the second part only
            parts.append((txn, share, after_sale.case_no + suffix))
            left -= share
    refunds = [
        refund_create(
            actor=actor,
            transaction=txn,
            amount=share,
            source=Refund.Source.AFTER_SALE,
            reason=after_sale.get_reason_display(),
            after_sale_case_no=case_no,
        )
        for txn, share, case_no in parts
    ]
    done = all(refund.status == Refund.Status.SUCCEEDED for refund in refunds)
    return "succeeded" if done else "pending"


# --- sending --------------------------------------------------------------------------


def _max_attempts() -> int:
    return int(get_parameter(REFUND_MAX_ATTEMPTS))


def _claim(refund: Refund) -> Refund | None:
    """Lock the refund briefly and take the send lease; None when there is nothing to
    send (succeeded, or failed with no attempts left: only ``refund_retry`` reopens)."""
    with db_transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == R.SUCCEEDED:
            return None
        if locked.status == R.FAILED and locked.attempts >= _max_attempts():
            return None
        locked.next_attempt_at = timezone.now() + SEND_LEASE
        locked.save(update_fields=["next_attempt_at", "updated_at"])
    return locked


def _refund_request(refund: Refund) -> RefundRequest:
    from .transactions import notify_url

    txn = refund.transaction
    return RefundRequest(
        refund_no=refund.refund_no,
        transaction_no=txn.transaction_no,
        channel_trade_no=txn.channel_trade_no,
        amount=refund.amount,
        total_amount=txn.paid_amount,
        reason=refund.reason or _("Refund"),
        notify_url=notify_url(refund.channel, refund=True),
    )


def refund_send(*, actor, refund: Refund) -> Refund:
    """Send ``refund`` to its channel and apply the answer; answers the refund as it is
    now. Idempotent: a succeeded refund is returned unchanged (nothing is sent), and the
    channel refunds one ``refund_no`` once however often it is asked. The channel is
    called outside any row lock (the member balance: inside the caller's transaction).
    """
    claimed = _claim(refund)
    if claimed is None:
        return Refund.objects.get(pk=refund.pk)
    try:
        gateway = get_gateway(claimed.channel)
        if gateway.settles_immediately:
            with db_transaction.atomic():
                result = gateway.refund(_refund_request(claimed))
                return refund_apply_result(
                    actor=actor, refund=claimed, result=result, source="send"
                )
        result = gateway.refund(_refund_request(claimed))
    except (ChannelError, ChannelUnavailable) as error:
        logger.warning("refund %s not sent: %s", claimed.refund_no, error.code)
        return _send_failed(actor, claimed, error)
    return refund_apply_result(actor=actor, refund=claimed, result=result, source="send")


def _error_text(error) -> str:
    code = getattr(error, "channel_code", "") or error.code
    return f"{code}: {error.message}"[:300]


def _send_failed(actor, refund: Refund, error) -> Refund:
    """One failed attempt: try again later with backoff, or give up past the limit (a
    channel error that is not worth retrying gives up at once)."""
    retryable = getattr(error, "retryable", True)
    with db_transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == R.SUCCEEDED:  # a notification finished it meanwhile
            return locked
        attempts = locked.attempts + 1
        text = _error_text(error)
        if retryable and attempts < _max_attempts():
            delay = timedelta(minutes=2 ** (attempts - 1))
            locked.attempts = attempts
            locked.next_attempt_at = timezone.now() + delay
            locked.last_error = text
            locked.save(update_fields=["attempts", "next_attempt_at", "last_error", "updated_at"])
            audit(
                actor=actor,
                action="payment.refund_attempt_failed",
                target=locked,
                data={
                    "attempts": attempts,
                    "error": text,
                    "next_attempt_at": locked.next_attempt_at.isoformat(),
                },
            )
            return locked
        _give_up(actor, locked, attempts, text)
    return locked


def _give_up(actor, refund: Refund, attempts: int, text: str) -> None:
    """``failed``: anomaly ``refund_failed``, and whoever may retry refunds is told. The
    reservation stays on the transaction: the money is still owed to the customer."""
    from ops.services.notifications import staff_notify_holders

    transition(
        refund,
        R.FAILED,
        actor=actor,
        action="payment.refund_failed",
        data={"attempts": attempts, "error": text},
        attempts=attempts,
        next_attempt_at=None,
        last_error=text,
    )
    txn = refund.transaction
    anomaly_open(
        actor=actor,
        kind=PaymentAnomaly.Kind.REFUND_FAILED,
        channel=refund.channel,
        txn=txn,
        refund=refund,
        reference_no=refund.refund_no,
        reported=None,
        detail=_("The refund failed at the channel %(times)s times: %(error)s")
        % {"times": attempts, "error": text},
    )
    staff_notify_holders(
        actor=actor,
        permission=perms.RETRY_REFUND,
        kind="payments.refund_failed",
        title=_("Refund %(no)s failed (%(amount)s yuan): retry it when the channel is back")
        % {"no": refund.refund_no, "amount": f"{refund.amount:.2f}"},
        body=text,
        dedupe_key=f"payments.refund_failed:{refund.pk}:{int(timezone.now().timestamp())}",
        subject=refund,
    )


def refund_apply_result(
    *, actor, refund: Refund, result: RefundResult, source: str = "send"
) -> Refund:
    """Apply what the channel says about ``refund`` (its answer to the send, a query, a
    notification), exactly once. ``source`` is audit data. A refund already succeeded
    is returned unchanged."""
    if result.status == REFUND_SUCCESS:
        return _succeeded(actor, refund, result, source)
    with db_transaction.atomic():
        locked = Refund.objects.select_for_update().select_related("transaction").get(pk=refund.pk)
        if locked.status == R.SUCCEEDED:
            return locked
        if result.status == REFUND_PROCESSING:
            changes = {"next_attempt_at": None}
            if result.channel_refund_no:
                changes["channel_refund_no"] = result.channel_refund_no[:64]
            if locked.status == R.FAILED and locked.attempts >= _max_attempts():
                return locked  # given up: only finance's retry reopens it
            transition(
                locked,
                R.PROCESSING,
                actor=actor,
                action="payment.refund_processing",
                data={"source": source},
                **changes,
            )
            return locked
        if result.status == REFUND_FAILED:
            if locked.status != R.FAILED:
                text = f"{result.error or 'FAILED'}: {_('the channel refused the refund')}"
                _give_up(actor, locked, locked.attempts + 1, text[:300])
            return locked
    logger.warning("refund %s: unknown status %r", refund.refund_no, result.status)
    return Refund.objects.get(pk=refund.pk)


def _succeeded(actor, refund: Refund, result: RefundResult, source: str) -> Refund:
    with db_transaction.atomic():
        if refund.order_id:
            from orders.models import Order

            Order.objects.select_for_update().filter(pk=refund.order_id).first()
        txn = PaymentTransaction.objects.select_for_update().get(pk=refund.transaction_id)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == R.SUCCEEDED:
            return locked
        if result.amount is not None and to_money(result.amount) != locked.amount:
            anomaly_open(
                actor=actor,
                kind=PaymentAnomaly.Kind.AMOUNT_MISMATCH,
                channel=locked.channel,
                txn=txn,
                refund=locked,
                reference_no=locked.refund_no,
                reported=result.amount,
                detail=_("The channel reports another refund amount than ours."),
            )
            return locked
        now = timezone.now()
        transition(
            locked,
            R.SUCCEEDED,
            actor=actor,
            action="payment.refund_succeeded",
            data={"source": source, "transaction_no": txn.transaction_no},
            channel_refund_no=(result.channel_refund_no or locked.channel_refund_no)[:64],
            succeeded_at=result.succeeded_at or now,
            next_attempt_at=None,
            last_error="",
        )
        _transaction_follows(actor, txn)
        if locked.after_sale_case_no:
            _settle_case(locked)
        _failure_settled(actor, locked)
    return locked


def _failure_settled(actor, refund: Refund) -> None:
    """A refund that had failed is paid now: its "refund failed" anomaly and the notices
    asking finance to retry it are done work."""
    from ops.services.notifications import notifications_resolve

    from .anomalies import anomaly_resolve

    notifications_resolve(actor=actor, subject=refund)
    open_failure = PaymentAnomaly.objects.filter(
        kind=PaymentAnomaly.Kind.REFUND_FAILED,
        reference_no=refund.refund_no,
        status=PaymentAnomaly.Status.OPEN,
    ).first()
    if open_failure is not None:
        anomaly_resolve(
            actor=system_actor(),
            anomaly=open_failure,
            note=_("Refunded on a later attempt (%(no)s).") % {"no": refund.refund_no},
        )


def _transaction_follows(actor, txn: PaymentTransaction) -> None:
    """``partially_refunded`` / ``refunded`` by the sum of the succeeded refunds."""
    done = Refund.objects.filter(transaction=txn, status=R.SUCCEEDED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0.00")
    to = T.REFUNDED if done >= txn.paid_amount else T.PARTIALLY_REFUNDED
    if txn.status in (T.PAID, T.PARTIALLY_REFUNDED):
        transition(
            txn,
            to,
            actor=actor,
            action="payment.refunded",
            data={"refunded": f"{done:.2f}", "paid": f"{txn.paid_amount:.2f}"},
        )


def _settle_case(refund: Refund) -> None:
    """Complete the orders case the refund executes (the system acts: the channel
    confirmed). A case not marked sent settles itself (balance: ``"succeeded"``)."""
    from mall.core.actors import system_actor
    from orders.models import AfterSale
    from orders.services.after_sales import after_sale_refund_settle

    case_no = _case_no_of(refund)
    case = AfterSale.objects.filter(case_no=case_no).first()
    if (
        case is None
        or case.status != AfterSale.Status.REFUNDING
        or case.refund_submitted_at is None
    ):
        return
    # A presale's refund in two parts: the case completes with the last of them.
    parts = Refund.objects.filter(after_sale_case_no__in=(case_no, case_no + DEPOSIT_PART_SUFFIX))
    if parts.exclude(status=Refund.Status.SUCCEEDED).exists():
        return
    after_sale_refund_settle(actor=system_actor(), after_sale=case)


# --- refund notifications -------------------------------------------------------------


def refund_notify(
    *,
    actor,
    channel: str,
    headers: Mapping[str, str],
    body: bytes,
    remote_ip: str | None = None,
) -> NotifyAnswer:
    """Handle a channel's refund notification (same steps as ``payment_notify``): the
    record is committed first, the gateway verifies and parses it, the result is
    applied once (``refund_apply_result``), the record's outcome is written."""
    from .transactions import _failure, _kept_headers, _record_outcome, _sample

    gateway = get_gateway(channel)
    record = CallbackRecord(
        channel=channel,
        kind=CallbackRecord.Kind.REFUND,
        remote_ip=remote_ip or None,
        headers=_kept_headers(headers),
    )
    record.body = body.decode("utf-8", errors="replace")[:20000]
    record.save(force_insert=True)
    try:
        result = gateway.parse_refund_notify(headers=headers, body=body)
    except (InvalidSignature, InvalidNotification) as error:
        _record_outcome(record, CallbackRecord.Outcome.REJECTED, error.code, verified=False)
        _sample(channel, ok=False, code=error.code)
        logger.warning("refund notify rejected: channel=%s code=%s", channel, error.code)
        return _failure(gateway, error)
    _sample(channel, ok=True)
    refund = (
        Refund.objects.select_related("transaction")
        .filter(refund_no=result.refund_no, channel=channel)
        .first()
    )
    if refund is None:
        anomaly_open(
            actor=actor,
            kind=PaymentAnomaly.Kind.UNKNOWN_TRANSACTION,
            channel=channel,
            txn=None,
            reference_no=result.refund_no[:64],
            reported=result.amount,
            detail=_("A refund notification names a refund we do not have."),
        )
        _record_outcome(
            record,
            CallbackRecord.Outcome.ANOMALY,
            "unknown_refund",
            verified=True,
            reference_no=result.refund_no,
        )
        return _failure(gateway, InvalidNotification(_("No refund has this number.")))
    before = refund.status
    try:
        after = refund_apply_result(actor=actor, refund=refund, result=result, source="notify")
    except ApplicationError as error:
        _record_outcome(
            record,
            CallbackRecord.Outcome.REJECTED,
            error.code,
            verified=True,
            reference_no=refund.refund_no,
            txn=refund.transaction,
        )
        return _failure(gateway, error)
    outcome = (
        CallbackRecord.Outcome.DUPLICATE
        if before == R.SUCCEEDED
        else CallbackRecord.Outcome.APPLIED
        if after.status != before or after.status == R.SUCCEEDED
        else CallbackRecord.Outcome.IGNORED
    )
    _record_outcome(
        record,
        outcome,
        "",
        verified=True,
        reference_no=refund.refund_no,
        txn=refund.transaction,
    )
    return gateway.notify_answer(ok=True)


# --- retries --------------------------------------------------------------------------


def refunds_retry_due(*, actor, limit: int = 200) -> dict:
    """The job (every minute): send again the refunds whose ``next_attempt_at`` passed
    (a failed attempt's backoff, or a send that never ran), and ask the channel about
    refunds it has been processing for ``PROCESSING_QUERY_AFTER``. Answers counts
    ``{"sent", "succeeded", "queried", "failed"}``."""
    now = timezone.now()
    due = list(
        Refund.objects.filter(
            Q(status__in=(R.PENDING, R.PROCESSING))
            | Q(status=R.FAILED, attempts__lt=_max_attempts()),
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"sent": 0, "succeeded": 0, "queried": 0, "failed": 0}
    for pk in due:
        refund = Refund.objects.get(pk=pk)
        counts["sent"] += 1
        try:
            refund = refund_send(actor=actor, refund=refund)
        except ApplicationError as error:  # e.g. the case could not be settled
            counts["failed"] += 1
            logger.warning("refund %s: %s", refund.refund_no, error.code)
            continue
        if refund.status == R.SUCCEEDED:
            counts["succeeded"] += 1
    stale = list(
        Refund.objects.filter(
            status=R.PROCESSING,
            next_attempt_at__isnull=True,
            updated_at__lte=now - PROCESSING_QUERY_AFTER,
        )
        .select_related("transaction")
        .order_by("updated_at")[:limit]
    )
    for refund in stale:
        counts["queried"] += 1
        try:
            result = get_gateway(refund.channel).query_refund(
                refund_no=refund.refund_no, transaction_no=refund.transaction.transaction_no
            )
            if result.status == REFUND_PROCESSING:
                # still at the channel: ask again after the same wait
                Refund.objects.filter(pk=refund.pk, status=R.PROCESSING).update(updated_at=now)
                continue
            refund = refund_apply_result(actor=actor, refund=refund, result=result, source="query")
        except (ChannelError, ChannelUnavailable, ApplicationError) as error:
            counts["failed"] += 1
            logger.warning("refund query %s failed: %s", refund.refund_no, error.code)
            continue
        if refund.status == R.SUCCEEDED:
            counts["succeeded"] += 1
    return counts


def _require_retry(actor) -> None:
    if is_system_actor(actor):
        return
    if not (
        getattr(actor, "is_staff", False)
        and getattr(actor, "is_active", False)
        and actor.has_perm(perms.RETRY_REFUND)
    ):
        raise PaymentsPermissionDenied()


@db_transaction.atomic
def refund_retry(*, actor, refund: Refund) -> Refund:
    """Finance sends a ``failed`` refund again (``payments.retry_refund``; the refund's
    region in the actor's scope, else 404): back to ``processing`` with its attempts
    reset, sent after commit. 409 for a refund not failed."""
    from ..selectors import refund_get

    _require_retry(actor)
    current = refund_get(actor=actor, refund_no=refund.refund_no)
    locked = Refund.objects.select_for_update().get(pk=current.pk)
    if locked.status != R.FAILED:
        raise PaymentStateConflict(_("Only a failed refund can be retried."))
    transition(
        locked,
        R.PROCESSING,
        actor=actor,
        action="payment.refund_retry",
        data={"attempts_before": locked.attempts, "last_error": locked.last_error},
        attempts=0,
        next_attempt_at=timezone.now() + SEND_LEASE,
        last_error="",
    )
    db_transaction.on_commit(lambda: _send_later(locked.pk))
    return locked


def refund_query(*, actor, refund: Refund) -> dict:
    """Ask the channel about one refund now and apply what it says through
    ``refund_apply_result`` (a refund already succeeded stays as it is). A refund
    outside the actor's scope is ``RefundNotFound``; a channel that cannot be reached
    raises its error. Answers ``{"status", "amount", "channel_refund_no",
    "succeeded_at", "refund_status"}``."""
    from ..exceptions import RefundNotFound
    from ..selectors import refund_list

    if not refund_list(actor=actor).filter(pk=refund.pk).exists():
        raise RefundNotFound()
    current = Refund.objects.select_related("transaction").get(pk=refund.pk)
    result = get_gateway(current.channel).query_refund(
        refund_no=current.refund_no, transaction_no=current.transaction.transaction_no
    )
    after = refund_apply_result(actor=actor, refund=current, result=result, source="query")
    return {
        "status": result.status,
        "amount": f"{result.amount:.2f}" if result.amount is not None else None,
        "channel_refund_no": result.channel_refund_no,
        "succeeded_at": result.succeeded_at.isoformat() if result.succeeded_at else None,
        "refund_status": after.status,
    }
