"""Every read of the payments app served to a person (or a job); always scoped.

Same rules as orders' selectors: a **member** sees only their own transactions and
refunds; a **staff user** the rows in their RBAC data scope (the order's sales
region); the **system actor** every row. ``*_get`` raise a ``NotFound`` subclass for a
missing row, a row outside the scope and a malformed key alike.
"""

from __future__ import annotations

from django.db.models import QuerySet

from mall.core.actors import is_system_actor
from mall.core.api import parse_pk
from mall.core.scoping import scope_queryset

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


def _is_member(actor) -> bool:
    from members.models import Member

    return isinstance(actor, Member)


def _visible(actor, queryset: QuerySet, member_path: str | None = "member") -> QuerySet:
    if _is_member(actor):
        if member_path is None:
            return queryset.none()
        return queryset.filter(**{member_path: actor.pk})
    if is_system_actor(actor):
        return queryset
    return scope_queryset(actor, queryset)


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
