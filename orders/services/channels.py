"""Sales channels (电商渠道/店铺) and their balance ledger.

* ``channel_create`` / ``channel_update`` — master data (``orders.add_saleschannel`` /
  ``orders.change_saleschannel``), audited with the diff; the code is fixed once
  created (storefronts and orders name the channel by it).
* ``channel_disable`` / ``channel_enable`` — through the status table
  (``transition()``); switching off is refused while the channel has unsettled
  business: an order not completed, cancelled or closed, or an after-sales case not
  completed, cancelled or rejected (seed 003: "停用前需确认已处理完待结算订单").
* ``channel_ledger_post`` — one movement of the balance: a conditional ``UPDATE``
  (a debit never takes the balance below zero, concurrent posts never lose one) and
  its ``ChannelLedgerEntry`` in the same transaction, so the balance always equals
  the sum of its ledger. Idempotent per (channel, kind, reference).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mall.core.actors import is_system_actor
from mall.core.audit import audit, snapshot
from mall.core.money import to_money
from mall.core.scoping import scope_queryset
from mall.core.transitions import transition

from ..exceptions import (
    ChannelHasOpenOrders,
    ChannelNotFound,
    InvalidOrderInput,
    OrdersError,
    OrdersPermissionDenied,
)
from ..models import AfterSale, ChannelLedgerEntry, Order, SalesChannel
from ..permissions import ADD_CHANNEL, ADJUST_CHANNEL_BALANCE, CHANGE_CHANNEL

CHANNEL_FIELDS = [
    "code",
    "name",
    "kind",
    "storefront_user_id",
    "redeem_domain",
    "operator_id",
    "status",
    "note",
]
EDITABLE_FIELDS = {"name", "kind", "storefront_user_id", "redeem_domain", "operator", "note"}

# Orders and after-sales cases in these statuses are settled (nothing left to pay out).
SETTLED_ORDER_STATUSES = (
    Order.Status.COMPLETED,
    Order.Status.CANCELLED,
    Order.Status.CLOSED,
)
SETTLED_AFTER_SALE_STATUSES = (
    AfterSale.Status.COMPLETED,
    AfterSale.Status.CANCELLED,
    AfterSale.Status.REJECTED,
)

# The sign each ledger kind must have: + credits the channel, − debits it.
_KIND_SIGNS = {
    ChannelLedgerEntry.Kind.SETTLEMENT: 1,
    ChannelLedgerEntry.Kind.REFUND: -1,
    ChannelLedgerEntry.Kind.WITHDRAWAL: -1,
    ChannelLedgerEntry.Kind.ADJUSTMENT: 0,  # either way, never zero
}


class ChannelBalanceInsufficient(OrdersError):
    code = "insufficient_balance"
    status_code = 409
    default_message = gettext_lazy("The channel's balance is too low for this debit.")


class ChannelLedgerReferenceTaken(OrdersError):
    code = "reference_taken"
    status_code = 409
    default_message = gettext_lazy("This reference was already posted with another amount.")


def _require(actor, perm: str) -> None:
    if is_system_actor(actor):
        return
    if not getattr(actor, "is_active", False) or not actor.has_perm(perm):
        raise OrdersPermissionDenied()


def _locked_in_scope(actor, channel: SalesChannel) -> SalesChannel:
    """``channel`` re-read under its row lock, or "not found" when out of ``actor``'s scope."""
    queryset = SalesChannel.objects.filter(pk=channel.pk)
    if not is_system_actor(actor):
        queryset = scope_queryset(actor, queryset)
    locked = queryset.select_for_update().first()
    if locked is None:
        raise ChannelNotFound()
    return locked


def _text(name: str, value, max_length: int, *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidOrderInput(fields={name: [_("This field is required.")]})
    if len(text) > max_length:
        raise InvalidOrderInput(fields={name: [_("At most %(n)d characters.") % {"n": max_length}]})
    return text


def _check_operator(operator) -> None:
    if operator is None:
        return
    if not getattr(operator, "is_staff", False) or not getattr(operator, "is_active", False):
        raise InvalidOrderInput(
            fields={"operator": [_("The operator must be an active staff account.")]}
        )


def _apply(channel: SalesChannel, values: dict) -> list[str]:
    changed = []
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            raise InvalidOrderInput(fields={name: [_("Unknown field.")]})
        if name == "name":
            value = _text("name", value, 80, required=True)
        elif name == "kind":
            if value not in SalesChannel.Kind.values:
                raise InvalidOrderInput(fields={"kind": [_("Unknown channel type.")]})
        elif name == "storefront_user_id":
            value = _text(name, value, 80)
        elif name == "redeem_domain":
            value = _text(name, value, 120).lower()
        elif name == "note":
            value = _text(name, value, 200)
        elif name == "operator":
            _check_operator(value)
        setattr(channel, name, value)
        changed.append("operator" if name == "operator" else name)
    return changed


@transaction.atomic
def channel_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    storefront_user_id: str = "",
    redeem_domain: str = "",
    operator=None,
    note: str = "",
) -> SalesChannel:
    """Add a sales channel (active, balance 0); ``orders.add_saleschannel``; audited."""
    _require(actor, ADD_CHANNEL)
    code = _text("code", code, 30, required=True).lower()
    try:
        SalesChannel._meta.get_field("code").run_validators(code)
    except ValidationError as exc:
        raise InvalidOrderInput(fields={"code": list(exc.messages)}) from exc
    channel = SalesChannel(code=code)
    _apply(
        channel,
        {
            "name": name,
            "kind": kind,
            "storefront_user_id": storefront_user_id,
            "redeem_domain": redeem_domain,
            "operator": operator,
            "note": note,
        },
    )
    taken = InvalidOrderInput(fields={"code": [_("A sales channel with this code exists.")]})
    if SalesChannel.objects.filter(code=code).exists():
        raise taken
    try:
        with transaction.atomic():  # a concurrent creator may take the code after the check
            channel.save(force_insert=True)
    except IntegrityError as exc:
        raise taken from exc
    audit(
        actor=actor,
        action="sales_channel.create",
        target=channel,
        after=snapshot(channel, CHANNEL_FIELDS),
    )
    return channel


@transaction.atomic
def channel_update(*, actor, channel: SalesChannel, **values) -> SalesChannel:
    """Change a channel's name, type, storefront user id, redeem domain, operator or note.

    ``orders.change_saleschannel`` and the channel in the actor's scope (else "not
    found"). The code, status and balance are not changed here. Audited with the diff.
    """
    _require(actor, CHANGE_CHANNEL)
    channel = _locked_in_scope(actor, channel)
    before = snapshot(channel, CHANNEL_FIELDS)
    changed = _apply(channel, values)
    if not changed:
        return channel
    channel.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    audit(
        actor=actor,
        action="sales_channel.update",
        target=channel,
        before=before,
        after=snapshot(channel, CHANNEL_FIELDS),
    )
    return channel


def channel_unsettled_counts(*, actor, channel: SalesChannel) -> dict[str, int]:
    """How many orders and after-sales cases of ``channel`` are not settled yet.

    ``actor`` is the caller (who already reads ``channel``); the counts cover the whole
    channel, since switching it off affects every one of its orders.
    """
    orders = (
        Order.objects.filter(channel=channel).exclude(status__in=SETTLED_ORDER_STATUSES).count()
    )
    cases = (
        AfterSale.objects.filter(channel=channel)
        .exclude(status__in=SETTLED_AFTER_SALE_STATUSES)
        .count()
    )
    return {"orders": orders, "after_sales": cases}


@transaction.atomic
def channel_disable(*, actor, channel: SalesChannel, reason: str = "") -> SalesChannel:
    """Switch a channel off: it takes no new orders.

    Refused (409 ``channel_has_open_orders``) while any of its orders is not
    completed, cancelled or closed, or any after-sales case is still open. The channel
    row is locked first, so a settlement posted meanwhile waits.
    """
    _require(actor, CHANGE_CHANNEL)
    reason = _text("reason", reason, 200)
    channel = _locked_in_scope(actor, channel)
    if channel.status == SalesChannel.Status.DISABLED:
        return channel
    open_counts = channel_unsettled_counts(actor=actor, channel=channel)
    if open_counts["orders"] or open_counts["after_sales"]:
        raise ChannelHasOpenOrders(
            _(
                "The channel still has %(orders)d unsettled orders and %(cases)d open "
                "after-sales cases; settle them before switching it off."
            )
            % {"orders": open_counts["orders"], "cases": open_counts["after_sales"]},
            extra=open_counts,
        )
    transition(
        channel,
        SalesChannel.Status.DISABLED,
        actor=actor,
        action="sales_channel.disable",
        reason=reason,
    )
    return channel


@transaction.atomic
def channel_enable(*, actor, channel: SalesChannel, reason: str = "") -> SalesChannel:
    """Switch a channel on again (it takes orders); audited."""
    _require(actor, CHANGE_CHANNEL)
    reason = _text("reason", reason, 200)
    channel = _locked_in_scope(actor, channel)
    if channel.status == SalesChannel.Status.ACTIVE:
        return channel
    transition(
        channel,
        SalesChannel.Status.ACTIVE,
        actor=actor,
        action="sales_channel.enable",
        reason=reason,
    )
    return channel


def _amount(kind: str, amount) -> Decimal:
    if kind not in _KIND_SIGNS:
        raise InvalidOrderInput(fields={"kind": [_("Unknown ledger kind.")]})
    try:
        value = to_money(amount)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidOrderInput(fields={"amount": [_("Enter an amount.")]}) from exc
    if not value.is_finite() or abs(value) >= Decimal("1000000000000"):
        raise InvalidOrderInput(fields={"amount": [_("Enter an amount.")]})
    sign = _KIND_SIGNS[kind]
    if value == 0 or (sign > 0 and value < 0) or (sign < 0 and value > 0):
        message = {
            1: _("A settlement credits the channel: enter an amount above zero."),
            -1: _("A refund or withdrawal debits the channel: enter an amount below zero."),
            0: _("An adjustment cannot be zero."),
        }[sign]
        raise InvalidOrderInput(fields={"amount": [message]})
    return value


@transaction.atomic
def channel_ledger_post(
    *,
    actor,
    channel: SalesChannel,
    kind: str,
    amount,
    reference_no: str,
    note: str = "",
) -> ChannelLedgerEntry:
    """Move a channel's balance by ``amount`` (signed) and write its ledger entry.

    Staff need ``orders.adjust_channel_balance`` (jobs post settlements as the system
    actor). The balance moves with a conditional ``UPDATE`` — a debit that would take
    it below zero is refused (409 ``insufficient_balance``) — and the entry records the
    balance after it, in the same transaction. The same (kind, reference) posted again
    with the same amount returns the first entry; with another amount it is a 409.
    """
    _require(actor, ADJUST_CHANNEL_BALANCE)
    value = _amount(kind, amount)
    reference_no = _text("reference_no", reference_no, 60, required=True)
    note = _text("note", note, 200)
    visible = SalesChannel.objects.filter(pk=channel.pk)
    if not is_system_actor(actor):
        visible = scope_queryset(actor, visible)
    if not visible.exists():
        raise ChannelNotFound()

    def _existing() -> ChannelLedgerEntry | None:
        entry = ChannelLedgerEntry.objects.filter(
            channel_id=channel.pk, kind=kind, reference_no=reference_no
        ).first()
        if entry is not None and entry.amount != value:
            raise ChannelLedgerReferenceTaken()
        return entry

    entry = _existing()
    if entry is not None:
        return entry
    try:
        with transaction.atomic():
            moved = SalesChannel.objects.filter(pk=channel.pk)
            if value < 0:
                moved = moved.filter(balance_amount__gte=-value)
            if not moved.update(balance_amount=F("balance_amount") + value):
                raise ChannelBalanceInsufficient()
            # The UPDATE holds the row lock: the balance read now is the one it wrote.
            balance = SalesChannel.objects.values_list("balance_amount", flat=True).get(
                pk=channel.pk
            )
            entry = ChannelLedgerEntry(
                channel_id=channel.pk,
                kind=kind,
                amount=value,
                balance_after_amount=balance,
                reference_no=reference_no,
                note=note,
                created_by=actor,
            )
            entry.save(force_insert=True)
    except IntegrityError:
        # A concurrent post of the same reference won; the savepoint undid our move.
        entry = _existing()
        if entry is None:
            raise
        return entry
    channel.balance_amount = balance
    audit(
        actor=actor,
        action="sales_channel.ledger",
        target=channel,
        before={"balance_amount": str(balance - value)},
        after={"balance_amount": str(balance)},
        data={"kind": kind, "amount": str(value), "reference_no": reference_no},
    )
    return entry
