"""``manage.py sandbox_pay ORDER_NO``: pay an order through the sandbox channel (demo).

Starts the payment when the order has no sandbox transaction yet (on the member's
behalf), then sends a correctly signed sandbox notification through the same service
the callback endpoint calls (``payments.services.transactions.payment_notify``).
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.exceptions import ApplicationError
from orders.selectors import order_get
from payments.gateways.sandbox import SIGNATURE_HEADER, sandbox_sign
from payments.models import PaymentTransaction
from payments.services.transactions import payment_notify, payment_start


class Command(BaseCommand):
    help = "Pay an order through the sandbox payment channel (signed callback)."

    def add_arguments(self, parser):
        parser.add_argument("order_no")
        parser.add_argument("--amount", help="Report this amount instead of the amount due.")
        parser.add_argument("--failed", action="store_true", help="Report a failed payment.")

    def handle(self, *args, order_no: str, amount=None, failed=False, **options):
        if not settings.PAYMENT_SANDBOX_SECRET:
            raise CommandError("PAYMENT_SANDBOX_SECRET is not set: the sandbox channel is off.")
        try:
            order = order_get(actor=system_actor(), order_no=order_no)
            txn = (
                PaymentTransaction.objects.filter(order=order, channel="sandbox")
                .order_by("-id")
                .first()
            )
            if txn is None:
                answer = payment_start(actor=order.member, order=order, channel="sandbox")
                txn = PaymentTransaction.objects.get(transaction_no=answer["transaction_no"])
            body = json.dumps(
                {
                    "transaction_no": txn.transaction_no,
                    "channel_trade_no": f"SBX{secrets.token_hex(8).upper()}",
                    "amount": amount or f"{txn.total_amount:.2f}",
                    "status": "FAILED" if failed else "SUCCESS",
                    "paid_at": timezone.now().isoformat(),
                    "nonce": secrets.token_hex(8),
                }
            ).encode()
            signature = sandbox_sign(settings.PAYMENT_SANDBOX_SECRET, body)
            answer = payment_notify(
                actor=system_actor(),
                channel="sandbox",
                headers={SIGNATURE_HEADER: signature},
                body=body,
            )
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        order.refresh_from_db()
        self.stdout.write(
            f"{answer.status} {answer.body.decode()}: {order.order_no} is {order.status}"
        )
