"""Topping up the member balance (储值充值) through a paying channel.

``recharge_start`` creates a transaction with ``purpose = recharge`` (no order, no
region) and asks the channel for the client's pay parameters, outside any row lock —
like ``payment_start``. When the channel reports it paid, ``payment_apply`` (the one
place "paid" happens) credits the balance once (``members.services.balance
.balance_recharge``, reference = the transaction number): a repeated callback finds
the transaction paid already and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.money import to_money

from ..exceptions import InvalidPaymentInput, PaymentsPermissionDenied
from ..gateways import get_gateway
from ..gateways.base import PaymentRequest
from ..models import PaymentTransaction, Scene

MIN_RECHARGE = Decimal("1.00")
MAX_RECHARGE = Decimal("50000.00")
# How long the payer has to pay a recharge.
RECHARGE_PAY_WITHIN = timedelta(minutes=30)


def _amount(value) -> Decimal:
    try:
        if isinstance(value, bool):
            raise ValueError
        amount = to_money(value)
        if amount != Decimal(str(value)):
            raise ValueError
    except (ValueError, ArithmeticError):
        raise InvalidPaymentInput(
            fields={"amount": [_("Give the amount in yuan with at most two decimals.")]}
        ) from None
    if not MIN_RECHARGE <= amount <= MAX_RECHARGE:
        raise InvalidPaymentInput(fields={"amount": [_("Recharge between 1 and 50,000 yuan.")]})
    return amount


def recharge_start(*, actor, amount, channel: str, scene: str = Scene.JSAPI) -> dict:
    """Start a recharge of ``amount`` (1–50,000 yuan) for the member ``actor``.

    Answers ``{"transaction_no", "channel", "amount", "status", "pay_params"}``. 400
    for the member balance itself (a balance cannot top up itself), a channel not
    configured or a scene it does not offer; 502 ``channel_error`` when the channel
    cannot be reached (the transaction stays, unpaid).
    """
    from members.models import Member

    from .transactions import _new_number, _start_answer

    if not isinstance(actor, Member) or not actor.is_active:
        raise PaymentsPermissionDenied()
    amount = _amount(amount)
    gateway = get_gateway(channel)
    if gateway.settles_immediately:
        raise InvalidPaymentInput(
            fields={"channel": [_("The balance cannot be recharged from itself.")]}
        )
    if scene not in gateway.scenes:
        raise InvalidPaymentInput(fields={"scene": [_("This channel does not offer this scene.")]})
    with transaction.atomic():
        txn = PaymentTransaction.objects.create(
            transaction_no=_new_number("PT"),
            purpose=PaymentTransaction.Purpose.RECHARGE,
            order=None,
            member=actor,
            region=None,
            channel=channel,
            scene=scene,
            total_amount=amount,
            expires_at=timezone.now() + RECHARGE_PAY_WITHIN,
        )
        audit(
            actor=actor,
            action="payment.recharge_start",
            target=txn,
            after={"channel": channel, "scene": scene, "amount": f"{amount:.2f}"},
        )
    # Ask the channel outside any transaction: its latency holds no row.
    params = gateway.create_payment(_recharge_request(txn))
    PaymentTransaction.objects.filter(pk=txn.pk).update(
        pay_params=params, updated_at=timezone.now()
    )
    txn.pay_params = params
    return _start_answer(txn)


def _recharge_request(txn: PaymentTransaction) -> PaymentRequest:
    from mall.core.context import current_client_ip

    from .transactions import notify_url

    return PaymentRequest(
        transaction_no=txn.transaction_no,
        amount=txn.total_amount,
        description=str(_("Balance recharge")),
        scene=txn.scene,
        expires_at=txn.expires_at,
        notify_url=notify_url(txn.channel),
        client_ip=current_client_ip() or "",
    )
