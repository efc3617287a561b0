"""Every read of the payments app served to a person (or a job); always scoped.

Same rules as orders' selectors: a **member** sees only their own transactions and
refunds; a **staff user** the rows in their RBAC data scope (the order's sales
region); the **system actor** every row. ``*_get`` raise a ``NotFound`` subclass for a
missing row, a row outside the scope and a malformed key alike.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mall.core.api import parse_pk
from mall.core.scoping import visible_rows

from .exceptions import (
    AdjustmentNotFound,
    AnomalyNotFound,
    DiscrepancyNotFound,
    ReconciliationNotFound,
    RefundNotFound,
    SettlementNotFound,
    TransactionNotFound,
)
from .models import (
    CallbackRecord,
    ChannelHealth,
    Discrepancy,
    PaymentAnomaly,
    PaymentTransaction,
    Reconciliation,
    ReconciliationAdjustment,
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


# --- reconciliation (对账) -------------------------------------------------------------
#
# Runs are whole-mall figures per channel (declared unscoped: the function permission
# ``payments.view_reconciliation`` is checked by the API permission class and the admin,
# like settlements). Discrepancies and adjustments are scoped by their record's sales
# region; an item with no record of ours has no region and is seen with scope "all".


def _sales_channels_seen(actor, rows: QuerySet, path: str) -> QuerySet:
    """Keep rows of no sales channel, and those of a sales channel ``actor`` may work on
    (orders' channel scope): a statement run and its items name a channel's money."""
    from mall.core.actors import is_system_actor
    from orders.selectors import channel_list

    if is_system_actor(actor):
        return rows
    return rows.filter(
        Q(**{f"{path}__isnull": True}) | Q(**{f"{path}__in": channel_list(actor=actor)})
    )


def reconciliation_list(*, actor) -> QuerySet[Reconciliation]:
    """Reconciliation runs, newest bill first — for staff whose data scope covers every
    discrepancy (scope "all"): a run's summary, totals and open figures are sums over the
    whole bill, every region's items included, so a regional user would learn other
    regions' counts and amounts from them. Regional staff work their region's items in
    the queue (:func:`discrepancy_list`). Statement runs only of the sales channels the
    actor may work on."""
    from mall.core.actors import is_system_actor
    from mall.core.scoping import sees_every_row

    rows = _visible(
        actor,
        Reconciliation.objects.select_related("sales_channel", "requested_by"),
        member_path=None,
    )
    if not is_system_actor(actor) and not sees_every_row(actor, Discrepancy):
        return rows.none()
    return _sales_channels_seen(actor, rows, "sales_channel").order_by("-bill_date", "-id")


def reconciliation_get(*, actor, pk) -> Reconciliation:
    """One run; ``ReconciliationNotFound`` for a missing row or a malformed key."""
    number = parse_pk(pk)
    row = reconciliation_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise ReconciliationNotFound()
    return row


def discrepancy_list(
    *, actor, reconciliation: Reconciliation | None = None
) -> QuerySet[Discrepancy]:
    """Discrepancies in the actor's scope (region), newest business day first; only
    ``reconciliation``'s when given."""
    rows = _visible(
        actor,
        Discrepancy.objects.select_related(
            "reconciliation", "sales_channel", "region", "resolved_by"
        ),
        member_path=None,
    )
    rows = _sales_channels_seen(actor, rows, "sales_channel")
    if reconciliation is not None:
        rows = rows.filter(reconciliation=reconciliation)
    return rows.order_by("-business_date", "-id")


def discrepancy_get(*, actor, pk) -> Discrepancy:
    """One discrepancy in the actor's scope; ``DiscrepancyNotFound`` otherwise."""
    number = parse_pk(pk)
    row = discrepancy_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise DiscrepancyNotFound()
    return row


def adjustment_list(*, actor) -> QuerySet[ReconciliationAdjustment]:
    """Adjustments in the actor's scope (the discrepancy's region and sales channel),
    newest first."""
    rows = _visible(
        actor,
        ReconciliationAdjustment.objects.select_related(
            "discrepancy", "discrepancy__reconciliation", "region", "proposed_by", "decided_by"
        ),
        member_path=None,
    )
    return _sales_channels_seen(actor, rows, "discrepancy__sales_channel").order_by("-id")


def adjustment_get(*, actor, pk) -> ReconciliationAdjustment:
    """One adjustment in the actor's scope; ``AdjustmentNotFound`` otherwise."""
    number = parse_pk(pk)
    row = adjustment_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise AdjustmentNotFound()
    return row


def adjustments_waiting(*, actor) -> QuerySet[ReconciliationAdjustment]:
    """Adjustments waiting for approval that ``actor`` may decide (not their own)."""
    rows = adjustment_list(actor=actor).filter(status=ReconciliationAdjustment.Status.PROPOSED)
    if getattr(actor, "pk", None) is not None:
        rows = rows.exclude(proposed_by_id=actor.pk)
    return rows
