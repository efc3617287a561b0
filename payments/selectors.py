"""Every read of the payments app served to a person (or a job); always scoped.

Same rules as orders' selectors: a **member** sees only their own transactions and
refunds; a **staff user** the rows in their RBAC data scope (the order's sales
region); the **system actor** every row. ``*_get`` raise a ``NotFound`` subclass for a
missing row, a row outside the scope and a malformed key alike.
"""

from __future__ import annotations

from django.db.models import QuerySet

from mall.core.api import parse_pk
from mall.core.scoping import visible_rows

from .exceptions import (
    AnomalyNotFound,
    RefundNotFound,
    SettlementNotFound,
    TransactionNotFound,
)
from .models import (
    CallbackRecord,
    ChannelHealth,
    PaymentAnomaly,
    PaymentTransaction,
    Refund,
    Settlement,
)

NUMBER_MAX = 32


def _visible(actor, queryset: QuerySet, member_path: str | None = "member") -> QuerySet:
    """The rows of ``queryset`` ``actor`` may read (the kernel's one rule)."""
    return visible_rows(actor, queryset, member_path=member_path)


def _number(value) -> str | None:
    number = str(value or "").strip()
    return number if number and len(number) <= NUMBER_MAX else None


# --- transactions ---------------------------------------------------------------------


def transaction_list(*, actor) -> QuerySet[PaymentTransaction]:
    """Transactions ``actor`` may see, newest first (with order and member)."""
    return _visible(
        actor, PaymentTransaction.objects.select_related("order", "member", "region")
    ).order_by("-id")


def transaction_get(*, actor, transaction_no: str) -> PaymentTransaction:
    number = _number(transaction_no)
    row = transaction_list(actor=actor).filter(transaction_no=number).first() if number else None
    if row is None:
        raise TransactionNotFound()
    return row


def transaction_get_by_pk(*, actor, pk) -> PaymentTransaction:
    number = parse_pk(pk)
    row = transaction_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise TransactionNotFound()
    return row


# --- refunds --------------------------------------------------------------------------


def refund_list(*, actor) -> QuerySet[Refund]:
    return _visible(
        actor,
        Refund.objects.select_related("transaction", "order", "region"),
        member_path="transaction__member",
    ).order_by("-id")


def refund_get(*, actor, refund_no: str) -> Refund:
    number = _number(refund_no)
    row = refund_list(actor=actor).filter(refund_no=number).first() if number else None
    if row is None:
        raise RefundNotFound()
    return row


def refund_get_by_pk(*, actor, pk) -> Refund:
    number = parse_pk(pk)
    row = refund_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise RefundNotFound()
    return row


# --- callbacks and anomalies ----------------------------------------------------------


def callback_list(*, actor) -> QuerySet[CallbackRecord]:
    return _visible(
        actor, CallbackRecord.objects.select_related("transaction"), member_path=None
    ).order_by("-id")


def anomaly_list(*, actor) -> QuerySet[PaymentAnomaly]:
    return _visible(
        actor,
        PaymentAnomaly.objects.select_related("transaction", "refund", "resolved_by"),
        member_path=None,
    ).order_by("-id")


def anomaly_get_by_pk(*, actor, pk) -> PaymentAnomaly:
    number = parse_pk(pk)
    row = anomaly_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise AnomalyNotFound()
    return row


# --- settlements and health -----------------------------------------------------------


def settlement_list(*, actor) -> QuerySet[Settlement]:
    return _visible(actor, Settlement.objects.all(), member_path=None).order_by(
        "-business_date", "channel"
    )


def settlement_get_by_pk(*, actor, pk) -> Settlement:
    number = parse_pk(pk)
    row = settlement_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise SettlementNotFound()
    return row


def channel_health_list(*, actor) -> QuerySet[ChannelHealth]:
    return _visible(actor, ChannelHealth.objects.all(), member_path=None).order_by("channel")


# --- finance screens: detail parts and callbacks ---------------------------------------


def transaction_refunds(*, actor, transaction: PaymentTransaction) -> QuerySet[Refund]:
    """The refunds of one transaction the actor may see, oldest first."""
    return refund_list(actor=actor).filter(transaction=transaction).order_by("id")


def transaction_callbacks(*, actor, transaction: PaymentTransaction) -> QuerySet[CallbackRecord]:
    """The callbacks about one transaction, oldest first (never their bodies on screen)."""
    return callback_list(actor=actor).filter(transaction=transaction).order_by("id")


def transaction_anomalies(*, actor, transaction: PaymentTransaction) -> QuerySet[PaymentAnomaly]:
    """The anomalies about one transaction the actor may see, oldest first."""
    return anomaly_list(actor=actor).filter(transaction=transaction).order_by("id")


def callback_get_by_pk(*, actor, pk) -> CallbackRecord:
    """One callback in the actor's scope; ``NotFound`` for a missing, foreign or bad key."""
    from mall.core.exceptions import NotFound

    number = parse_pk(pk)
    row = callback_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise NotFound()
    return row


# --- finance workbench figures (all through the scoped lists above) --------------------

REFUNDS_TO_EXECUTE = (Refund.Status.PENDING, Refund.Status.PROCESSING, Refund.Status.FAILED)
PAID_STATUSES = (
    PaymentTransaction.Status.PAID,
    PaymentTransaction.Status.PARTIALLY_REFUNDED,
    PaymentTransaction.Status.REFUNDED,
)


def _today_start():
    from datetime import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))


def paid_today_amount(*, actor):
    """What was collected today (local day) in the actor's scope (Decimal)."""
    from decimal import Decimal

    from django.db.models import Sum

    total = (
        transaction_list(actor=actor)
        .filter(status__in=PAID_STATUSES, paid_at__gte=_today_start())
        .order_by()
        .aggregate(total=Sum("paid_amount"))["total"]
    )
    return total or Decimal("0.00")


def refunds_to_execute(*, actor) -> QuerySet[Refund]:
    """Refunds not yet paid out: waiting, at the channel, or failed (finance retries)."""
    return refund_list(actor=actor).filter(status__in=REFUNDS_TO_EXECUTE)


def callbacks_rejected_today(*, actor) -> QuerySet[CallbackRecord]:
    """Callbacks refused today (bad signature, unreadable) in the actor's scope."""
    return callback_list(actor=actor).filter(
        outcome=CallbackRecord.Outcome.REJECTED, received_at__gte=_today_start()
    )


def anomalies_open(*, actor) -> QuerySet[PaymentAnomaly]:
    """Anomalies still waiting for a person, in the actor's scope."""
    return anomaly_list(actor=actor).filter(status=PaymentAnomaly.Status.OPEN)


def channels_degraded(*, actor) -> QuerySet[ChannelHealth]:
    """Channels whose last computed health is degraded (mall-wide)."""
    return channel_health_list(actor=actor).filter(state=ChannelHealth.State.DEGRADED)
