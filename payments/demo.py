"""Demo data of the payments app (DESIGN.md §7), through the same services as production.

* Every demo order that orders' demo pays is paid here through a channel's real path
  (hook ``orders.demo_pay``): a transaction is started on the member's behalf and the
  sandbox channel's HMAC-signed notification goes through ``payment_notify`` — exactly
  what the callback endpoint does. About one order in seven is paid from the member's
  stored balance, recharged through the sandbox first. The demo installation offers the
  sandbox and the member balance only: WeChat Pay, Alipay and UnionPay need a merchant
  account's keys (docs/PAYMENTS_MERCHANT_SETUP.md).
* Refunds the orders demo executed (after-sales, cancellations, a lost parcel) are sent
  to the sandbox channel and succeed; transaction times follow their orders' (the orders
  demo spreads its orders over 30 days).
* Then the things finance must see: one payment reported with another amount (anomaly,
  never paid), one payment arriving after the order was cancelled (refunded
  automatically), one order paid twice (the second refunded), settlements for the last
  30 days and the channels' health.

Demo roles' payments permissions (``ROLE_PERMISSIONS``):

* finance (财务, scope all): every finance screen and step — transactions, refunds
  (retry), anomalies (resolve), callbacks, settlements (confirm), exports, channel
  health; not the payers' identities (``view_payment_pii``);
* ops lead (运营负责人): read only — transactions, refunds, anomalies, settlements,
  channel health;
* tech lead (技术负责人): channel health (its degraded notices) and the callback log.

Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import json
import random
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mall.core.actors import system_actor

from . import permissions as perms

DEMO_MARK = "演示数据"
ROLE_PERMISSIONS = {
    "finance": [
        perms.VIEW_TRANSACTION,
        perms.EXPORT_TRANSACTION,
        perms.VIEW_REFUND,
        perms.RETRY_REFUND,
        perms.EXPORT_REFUND,
        perms.VIEW_CALLBACK,
        perms.VIEW_ANOMALY,
        perms.MANAGE_ANOMALY,
        perms.VIEW_SETTLEMENT,
        perms.CONFIRM_SETTLEMENT,
        perms.EXPORT_SETTLEMENT,
        perms.VIEW_CHANNEL_HEALTH,
        perms.VIEW_RECONCILIATION,
        perms.RUN_RECONCILIATION,
        perms.EXPORT_RECONCILIATION,
        perms.VIEW_DISCREPANCY,
        perms.RESOLVE_DISCREPANCY,
        perms.PROPOSE_ADJUSTMENT,
        perms.APPROVE_ADJUSTMENT,
        perms.VIEW_ADJUSTMENT,
    ],
    "ops_lead": [
        perms.VIEW_TRANSACTION,
        perms.VIEW_REFUND,
        perms.VIEW_ANOMALY,
        perms.VIEW_SETTLEMENT,
        perms.VIEW_CHANNEL_HEALTH,
        perms.VIEW_RECONCILIATION,
        perms.VIEW_DISCREPANCY,
    ],
    "tech_lead": [perms.VIEW_CHANNEL_HEALTH, perms.VIEW_CALLBACK],
}


def _sandbox_on() -> bool:
    from .gateways import available_channels

    return "sandbox" in available_channels()


def _notify(txn_no: str, amount: Decimal, *, status: str = "SUCCESS", paid_at=None):
    """Send the sandbox channel's signed notification through the callback service."""
    from .gateways.sandbox import SIGNATURE_HEADER, sandbox_sign
    from .services.transactions import payment_notify

    body = json.dumps(
        {
            "transaction_no": txn_no,
            "channel_trade_no": f"SBX{secrets.token_hex(8).upper()}",
            "amount": f"{amount:.2f}",
            "status": status,
            "paid_at": (paid_at or timezone.now()).isoformat(),
            "nonce": secrets.token_hex(8),
        }
    ).encode()
    secret = settings.PAYMENT_GATEWAYS["sandbox"]["secret"]
    return payment_notify(
        actor=system_actor(),
        channel="sandbox",
        headers={SIGNATURE_HEADER: sandbox_sign(secret, body)},
        body=body,
    )


def pay_order(*, order, rng: random.Random) -> None:
    """Provider of ``orders.demo_pay``: pay ``order`` through the sandbox or the balance."""
    from .gateways import available_channels
    from .services.transactions import payment_start

    if not _sandbox_on():
        from orders.services.payment import order_mark_paid

        order_mark_paid(
            actor=system_actor(),
            order=order,
            amount=order.total_amount,
            payment_no=f"PT-DEMO-{order.order_no}",
            channel="sandbox",
        )
        return
    scene = rng.choice(["jsapi", "app", "h5", "mini_program", "native"])
    if "balance" in available_channels() and rng.random() < 0.15:
        _top_up(order.member, order.total_amount)
        payment_start(actor=order.member, order=order, channel="balance", scene=scene)
        return
    answer = payment_start(actor=order.member, order=order, channel="sandbox", scene=scene)
    _notify(answer["transaction_no"], order.total_amount)


def _top_up(member, amount: Decimal) -> None:
    """Recharge ``member``'s stored balance through the sandbox so it covers ``amount``."""
    member.refresh_from_db(fields=["balance_amount"])
    if member.balance_amount >= amount:
        return
    from .services.recharge import recharge_start

    wanted = (amount - member.balance_amount + Decimal("100")).quantize(Decimal("1"))
    answer = recharge_start(actor=member, amount=wanted, channel="sandbox", scene="app")
    _notify(answer["transaction_no"], Decimal(answer["amount"]))


def _send_pending_refunds() -> int:
    """Send refunds still waiting (their after-commit send did not run, e.g. in tests)."""
    from .models import Refund
    from .services.refunds import refund_send

    sent = 0
    for refund in Refund.objects.filter(status=Refund.Status.PENDING).order_by("id"):
        refund_send(actor=system_actor(), refund=refund)
        sent += 1
    return sent


def _align_times() -> None:
    """Transactions and refunds take their order's times (orders' demo moved those)."""
    from orders.models import Order

    from .models import PaymentTransaction, Refund

    rows = PaymentTransaction.objects.filter(order__isnull=False, paid_at__isnull=False)
    for txn in rows.select_related("order").iterator():
        order: Order = txn.order
        if order.paid_at and abs((order.paid_at - txn.paid_at).total_seconds()) > 60:
            shift = txn.paid_at - order.paid_at
            PaymentTransaction.objects.filter(pk=txn.pk).update(
                created_at=txn.created_at - shift, paid_at=order.paid_at
            )
            Refund.objects.filter(transaction=txn, succeeded_at__isnull=False).update(
                succeeded_at=order.paid_at + timedelta(days=1)
            )


def _place(member, rng: random.Random):
    from catalog.models import Product, Sku
    from orders.services.placement import order_place

    address = member.addresses.filter(is_default=True).first()
    sku = (
        Sku.objects.filter(
            product__status=Product.Status.ON_SHELF,
            product__is_virtual=False,
            is_available=True,
        )
        .exclude(code="DEMO-FLASH-001")
        .order_by("id")[rng.randint(0, 10)]
    )
    return order_place(
        actor=member,
        address_id=address.pk,
        lines=[{"sku": sku.code, "quantity": 1}],
        buyer_note=DEMO_MARK,
    )


def _cases_finance_must_see(rng: random.Random, stdout) -> None:
    from members.models import Member
    from orders.services.cancellation import order_cancel

    from .models import PaymentAnomaly
    from .services.transactions import payment_start

    if PaymentAnomaly.objects.filter(kind=PaymentAnomaly.Kind.AMOUNT_MISMATCH).exists():
        return
    members = list(
        Member.objects.filter(phone_hash__isnull=False, addresses__is_default=True).order_by("id")[
            :5
        ]
    )
    if len(members) < 3:
        stdout.write("  payments: demo members missing; anomalies skipped")
        return
    # 1. another amount reported: an anomaly, the order stays unpaid
    order = _place(members[0], rng)
    answer = payment_start(actor=members[0], order=order, channel="sandbox", scene="app")
    _notify(answer["transaction_no"], order.total_amount - Decimal("0.01"))
    # 2. paid after the unpaid order was cancelled: recorded and refunded automatically
    order = _place(members[1], rng)
    answer = payment_start(actor=members[1], order=order, channel="sandbox", scene="h5")
    order_cancel(actor=members[1], order=order, reason="不想要了")
    _notify(answer["transaction_no"], order.total_amount)
    # 3. paid twice (two scenes): the second payment is refunded in full
    order = _place(members[2], rng)
    first = payment_start(actor=members[2], order=order, channel="sandbox", scene="app")
    second = payment_start(actor=members[2], order=order, channel="sandbox", scene="native")
    _notify(first["transaction_no"], order.total_amount)
    _notify(second["transaction_no"], order.total_amount)


def _settle_and_watch() -> None:
    from .services.health import channel_health_compute
    from .services.settlement import settlement_compute

    actor = system_actor()
    today = timezone.localdate()
    for days in range(31, 0, -1):
        day = today - timedelta(days=days)
        for channel in ("sandbox", "balance"):
            settlement_compute(actor=actor, channel=channel, business_date=day)
    channel_health_compute(actor=actor)


def _grant_roles(stdout) -> None:
    from rbac.demo import grant_role_permissions

    added = sum(
        grant_role_permissions(role, permissions) for role, permissions in ROLE_PERMISSIONS.items()
    )
    stdout.write(f"  payments: {added} role permission(s) granted")


def seed(*, stdout) -> None:
    from .models import PaymentTransaction, Refund

    _grant_roles(stdout)
    if not _sandbox_on():
        stdout.write("  payments: the sandbox channel is off (PAYMENT_SANDBOX_SECRET); skipped")
        return
    rng = random.Random(1313)
    with transaction.atomic():
        sent = _send_pending_refunds()
    with transaction.atomic():
        _cases_finance_must_see(rng, stdout)
    with transaction.atomic():
        sent += _send_pending_refunds()
        _align_times()
    with transaction.atomic():
        _settle_and_watch()
    stdout.write(
        f"  payments: {PaymentTransaction.objects.count()} transactions, "
        f"{Refund.objects.count()} refunds ({sent} sent now)"
    )
    # yesterday's sandbox bill with a discrepancy of every class, reconciled (issue 14)
    from .demo_reconciliation import seed as seed_reconciliation

    seed_reconciliation(stdout=stdout)
    # a presale product and one member's deposit, paid through the sandbox (issue 15)
    from orders.demo_presale import seed_presale

    seed_presale(stdout)
