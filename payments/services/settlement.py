"""Settlement per channel and business day (结算单).

One ``Settlement`` per (channel, local day in Asia/Shanghai):

* ``payment_count`` / ``gross_amount``: transactions of the channel paid that day
  (their ``paid_amount``); ``fee_amount``: the sum of their ``fee_amount``;
* ``refund_count`` / ``refund_amount``: refunds of the channel that succeeded that day;
  ``fee_refund_amount``: the sum of their ``fee_refund_amount``;
* ``net_amount`` = gross − fee − refunds + fees returned (may be negative);
* ``expected_on`` = business day + T+n (``payments.settlement_days_<channel>``).

A draft is recomputed from the rows as often as needed (same figures, same row); a
confirmed settlement is frozen (409). ``settlements_compute_due`` (the 02:30 job)
computes yesterday for every channel with activity that day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit
from mall.core.money import to_money
from mall.core.transitions import transition
from ops.parameters import get_parameter

from .. import permissions as perms
from ..exceptions import InvalidPaymentInput, PaymentsPermissionDenied, PaymentStateConflict
from ..models import Channel, PaymentTransaction, Refund, Settlement
from ..parameters import settlement_days_key

T = PaymentTransaction.Status
S = Settlement.Status
PAID_STATUSES = (T.PAID, T.PARTIALLY_REFUNDED, T.REFUNDED)
ZERO = Decimal("0.00")


def _require(actor, perm: str) -> None:
    if is_system_actor(actor):
        return
    if (
        not getattr(actor, "is_active", False)
        or not getattr(actor, "is_staff", False)
        or not actor.has_perm(perm)
    ):
        raise PaymentsPermissionDenied()


def _day_bounds(business_date: date) -> tuple[datetime, datetime]:
    """The local day (``TIME_ZONE``, Asia/Shanghai) as an aware [start, end)."""
    start = timezone.make_aware(datetime.combine(business_date, datetime.min.time()))
    end = timezone.make_aware(
        datetime.combine(business_date + timedelta(days=1), datetime.min.time())
    )
    return start, end


def _clean_input(channel, business_date) -> tuple[str, date]:
    if channel not in Channel.values:
        raise InvalidPaymentInput(fields={"channel": [_("Unknown payment channel.")]})
    if not isinstance(business_date, date) or isinstance(business_date, datetime):
        raise InvalidPaymentInput(fields={"business_date": [_("A date is required.")]})
    if business_date > timezone.localdate():
        raise InvalidPaymentInput(
            fields={"business_date": [_("A day in the future cannot be settled.")]}
        )
    return channel, business_date


def _figures(channel: str, business_date: date) -> dict:
    start, end = _day_bounds(business_date)
    paid = PaymentTransaction.objects.filter(
        channel=channel, status__in=PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
    ).aggregate(count=Count("id"), gross=Sum("paid_amount"), fee=Sum("fee_amount"))
    refunded = Refund.objects.filter(
        channel=channel,
        status=Refund.Status.SUCCEEDED,
        succeeded_at__gte=start,
        succeeded_at__lt=end,
    ).aggregate(count=Count("id"), amount=Sum("amount"), fee_back=Sum("fee_refund_amount"))
    gross = to_money(paid["gross"] or ZERO)
    fee = to_money(paid["fee"] or ZERO)
    refund_amount = to_money(refunded["amount"] or ZERO)
    fee_back = to_money(refunded["fee_back"] or ZERO)
    return {
        "payment_count": paid["count"],
        "gross_amount": gross,
        "fee_amount": fee,
        "refund_count": refunded["count"],
        "refund_amount": refund_amount,
        "fee_refund_amount": fee_back,
        "net_amount": gross - fee - refund_amount + fee_back,
        "expected_on": business_date
        + timedelta(days=int(get_parameter(settlement_days_key(channel)))),
    }


def _locked(channel: str, business_date: date, expected_on: date) -> tuple[Settlement, bool]:
    """The day's settlement under its row lock, created (draft) when missing."""
    row = (
        Settlement.objects.select_for_update()
        .filter(channel=channel, business_date=business_date)
        .first()
    )
    if row is not None:
        return row, False
    try:
        with db_transaction.atomic():
            row = Settlement(channel=channel, business_date=business_date, expected_on=expected_on)
            row.save(force_insert=True)
        return row, True
    except IntegrityError:  # a concurrent computation created it first
        row = Settlement.objects.select_for_update().get(
            channel=channel, business_date=business_date
        )
        return row, False


@db_transaction.atomic
def settlement_compute(*, actor, channel: str, business_date: date) -> Settlement:
    """Compute (or recompute) the settlement of ``channel`` for ``business_date``.

    Permission ``payments.confirm_settlement`` (jobs: the system actor). A confirmed
    settlement is not recomputed (409 ``invalid_state``).
    """
    _require(actor, perms.CONFIRM_SETTLEMENT)
    channel, business_date = _clean_input(channel, business_date)
    figures = _figures(channel, business_date)
    row, created = _locked(channel, business_date, figures["expected_on"])
    if row.status != S.DRAFT:
        raise PaymentStateConflict(_("A confirmed settlement cannot be recomputed."))
    before = {name: str(getattr(row, name)) for name in figures}
    for name, value in figures.items():
        setattr(row, name, value)
    row.computed_at = timezone.now()
    row.save(update_fields=[*figures, "computed_at", "updated_at"])
    after = {name: str(getattr(row, name)) for name in figures}
    if created or before != after:
        audit(
            actor=actor,
            action="payment.settlement_compute",
            target=row,
            before=None if created else before,
            after=after,
        )
    return row


@db_transaction.atomic
def settlement_confirm(*, actor, settlement: Settlement) -> Settlement:
    """Confirm a computed settlement (permission ``payments.confirm_settlement``);
    from now on its figures are frozen. Confirming twice is 409."""
    _require(actor, perms.CONFIRM_SETTLEMENT)
    row = Settlement.objects.select_for_update().get(pk=settlement.pk)
    transition(
        row,
        S.CONFIRMED,
        actor=actor,
        action="payment.settlement_confirm",
        confirmed_by=None if is_system_actor(actor) else actor,
        confirmed_at=timezone.now(),
    )
    return row


def settlements_compute_due(*, actor, business_date: date | None = None) -> dict:
    """The nightly job: settle ``business_date`` (default yesterday, local time) for every
    channel with a payment or a refund that day. Confirmed days are left as they are.
    Answers ``{"date", "computed", "confirmed_kept"}``."""
    day = business_date or timezone.localdate() - timedelta(days=1)
    start, end = _day_bounds(day)
    channels = set(
        PaymentTransaction.objects.filter(
            status__in=PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
        )
        .values_list("channel", flat=True)
        .distinct()
    ) | set(
        Refund.objects.filter(
            status=Refund.Status.SUCCEEDED, succeeded_at__gte=start, succeeded_at__lt=end
        )
        .values_list("channel", flat=True)
        .distinct()
    )
    computed = kept = 0
    for channel in sorted(channels):
        try:
            settlement_compute(actor=actor, channel=channel, business_date=day)
            computed += 1
        except PaymentStateConflict:
            kept += 1
    return {"date": day.isoformat(), "computed": computed, "confirmed_kept": kept}
