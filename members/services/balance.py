"""The member's stored balance (储值): recharge, pay, refund, adjust — and verify.

Invariant (checked by :func:`balance_verify`, ``manage.py balance_verify``): a member's
``balance_amount`` equals the sum of their ``BalanceEntry`` rows, and never goes below
zero. Every posting is one conditional UPDATE of ``Member.balance_amount`` (a debit
only matches while the balance covers it — concurrent payments can never overdraw)
plus one entry, in one transaction, audited. An entry is unique per (kind,
reference): posting the same reference again changes nothing and returns the first
entry (a retried payment, a repeated recharge callback).

The members app sits left of payments: nothing here imports payments. The payments
app's balance "channel" (``payments.gateways.balance``) calls these services.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.exceptions import InvalidInput, PermissionDeniedError
from mall.core.money import to_money

from ..exceptions import InsufficientBalance, InvalidBalanceAmount, LedgerReferenceTaken
from ..models import BalanceEntry, Member

ADJUST_BALANCE = "members.adjust_member_balance"
MAX_AMOUNT = Decimal("100000000.00")  # one posting; far above any recharge or order
MAX_REFERENCE_LENGTH = 64  # BalanceEntry.reference
MAX_NOTE_LENGTH = 200

K = BalanceEntry.Kind


def _check_amount(amount) -> Decimal:
    try:
        if isinstance(amount, bool):
            raise ValueError
        value = to_money(amount)
        if value != Decimal(str(amount)):
            raise ValueError  # more than two decimals: refused, never rounded
    except (ValueError, ArithmeticError):
        message = str(InvalidBalanceAmount.default_message)
        raise InvalidBalanceAmount(fields={"amount": [message]}) from None
    if value <= 0 or value > MAX_AMOUNT:
        raise InvalidBalanceAmount(
            fields={"amount": [str(_("Must be more than 0 and at most 100,000,000."))]}
        )
    return value


def _check_reference(reference) -> str:
    """A reference another app chose (transaction or refund number): one that does not
    fit the column is refused, never cut (two cut references could collide)."""
    reference = str(reference or "")
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidInput(fields={"reference": [str(_("Give a reference of 1–64 characters."))]})
    return reference


def _existing(kind: str, reference: str, member: Member) -> BalanceEntry | None:
    entry = BalanceEntry.objects.filter(kind=kind, reference=reference).first()
    if entry is not None and entry.member_id != member.pk:
        raise LedgerReferenceTaken(extra={"kind": kind, "reference": reference})
    return entry


def _post(
    actor, member: Member, kind: str, reference: str, delta: Decimal, note: str = ""
) -> BalanceEntry:
    """Post ``delta`` (positive: credit, negative: debit) once per (kind, reference)."""
    existing = _existing(kind, reference, member)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            matched = Member.objects.filter(pk=member.pk)
            if delta < 0:
                matched = matched.filter(balance_amount__gte=-delta)
            if matched.update(balance_amount=F("balance_amount") + delta) != 1:
                if not Member.objects.filter(pk=member.pk).exists():
                    raise InvalidInput(fields={"member": [str(_("No such member."))]})
                raise InsufficientBalance(
                    extra={"requested": f"{-delta:.2f}", "balance": f"{_balance(member):.2f}"}
                )
            # The UPDATE holds the member's row until commit: this read is ours.
            balance = _balance(member)
            entry = BalanceEntry.objects.create(
                member_id=member.pk,
                kind=kind,
                reference=reference,
                amount=delta,
                balance_after=balance,
                note=note[:MAX_NOTE_LENGTH],
            )
            audit(
                actor=actor or member,
                action=f"member.balance_{kind}",
                target=member,
                data={
                    "entry": entry.pk,
                    "reference": reference,
                    "amount": f"{delta:.2f}",
                    "balance_after": f"{balance:.2f}",
                },
            )
    except IntegrityError as error:
        # A racing call posted the same (kind, reference) first: that entry is the answer.
        entry = _existing(kind, reference, member)
        if entry is None:
            raise error
        return entry
    member.balance_amount = balance
    return entry


def _balance(member: Member) -> Decimal:
    return Member.objects.filter(pk=member.pk).values_list("balance_amount", flat=True).get()


def balance_recharge(*, actor, member: Member, amount, reference: str) -> BalanceEntry:
    """Credit a paid recharge (``reference``: the recharge's transaction number)."""
    return _post(actor, member, K.RECHARGE, _check_reference(reference), _check_amount(amount))


def balance_pay(*, actor, member: Member, amount, reference: str) -> BalanceEntry:
    """Debit a payment (``reference``: the payment's transaction number). 409
    ``insufficient_balance`` when the balance does not cover it (also under concurrent
    payments: the debit is one conditional UPDATE)."""
    return _post(actor, member, K.PAY, _check_reference(reference), -_check_amount(amount))


def balance_refund(*, actor, member: Member, amount, reference: str) -> BalanceEntry:
    """Credit a refund of a balance payment (``reference``: the refund number)."""
    return _post(actor, member, K.REFUND, _check_reference(reference), _check_amount(amount))


def balance_adjust(*, actor, member: Member, amount, reason: str) -> BalanceEntry:
    """Add (positive) or take (negative) balance by hand — staff holding
    ``members.adjust_member_balance``, with a reason. Never below zero (409)."""
    if not is_system_actor(actor) and not (
        getattr(actor, "is_staff", False)
        and getattr(actor, "is_active", False)
        and actor.has_perm(ADJUST_BALANCE)
    ):
        raise PermissionDeniedError()
    reason = str(reason or "").strip()
    if not reason or len(reason) > MAX_NOTE_LENGTH:
        raise InvalidInput(fields={"reason": [str(_("Give a reason of 1–200 characters."))]})
    try:
        negative = Decimal(str(amount)) < 0 if not isinstance(amount, bool | float) else False
    except ArithmeticError:
        negative = False
    value = _check_amount(-Decimal(str(amount)) if negative else amount)
    reference = f"ADJ{secrets.token_hex(12).upper()}"
    return _post(actor, member, K.ADJUSTMENT, reference, -value if negative else value, reason)


@dataclass(frozen=True)
class BalanceMismatch:
    member_id: int
    balance: Decimal
    ledger_total: Decimal


def balance_verify(*, actor) -> list[BalanceMismatch]:
    """Every member whose ``balance_amount`` differs from the sum of their entries."""
    totals = dict(
        BalanceEntry.objects.values("member_id")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "total")
    )
    problems = []
    rows = Member.objects.values_list("pk", "balance_amount").order_by("pk").iterator()
    for member_id, balance in rows:
        total = to_money(totals.get(member_id) or 0)
        if to_money(balance) != total:
            problems.append(BalanceMismatch(member_id, to_money(balance), total))
    return problems


def balance_statement(*, actor, member: Member, limit: int = 20) -> dict:
    """The member's balance and newest ``limit`` entries (read; a member reads only
    their own: anyone else gets nothing but a 403)."""
    if isinstance(actor, Member) and actor.pk != member.pk:
        raise PermissionDeniedError()
    balance = _balance(member)
    entries = list(
        BalanceEntry.objects.filter(member_id=member.pk).order_by("-id")[: max(1, min(limit, 100))]
    )
    return {"balance": balance, "entries": entries}
