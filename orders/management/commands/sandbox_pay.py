"""``manage.py sandbox_pay ORDER_NO``: pay an order through the sandbox channel (demo).

Starts the payment when the order has none yet (on the member's behalf), then sends a
correctly signed sandbox notification through the same service the callback endpoint
calls (``orders.services.payment.payment_notify_sandbox``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.exceptions import ApplicationError
from orders.selectors import order_get
from orders.services.payment import SANDBOX, order_pay_start, payment_notify_sandbox


class Command(BaseCommand):
    help = "Pay an order through the sandbox payment channel (signed callback)."

    def add_arguments(self, parser):
        parser.add_argument("order_no")
        parser.add_argument("--amount", help="Report this amount instead of the payable one.")
        parser.add_argument("--failed", action="store_true", help="Report a failed payment.")

    def handle(self, *args, order_no: str, amount=None, failed=False, **options):
        if not settings.PAYMENT_SANDBOX_SECRET:
            raise CommandError("PAYMENT_SANDBOX_SECRET is not set.")
        try:
            order = order_get(actor=system_actor(), order_no=order_no)
            if not order.payment_no:
                order_pay_start(actor=order.member, order=order, channel=SANDBOX)
                order.refresh_from_db()
            body = json.dumps(
                {
                    "transaction_no": order.payment_no,
                    "channel_trade_no": f"SBX{secrets.token_hex(8).upper()}",
                    "amount": amount or f"{order.total_amount:.2f}",
                    "status": "FAILED" if failed else "SUCCESS",
                    "paid_at": timezone.now().isoformat(),
                    "nonce": secrets.token_hex(8),
                }
            ).encode()
            signature = hmac.new(
                settings.PAYMENT_SANDBOX_SECRET.encode(), body, hashlib.sha256
            ).hexdigest()
            answer = payment_notify_sandbox(actor=system_actor(), body=body, signature=signature)
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        order.refresh_from_db()
        self.stdout.write(f"{answer['code']}: {order.order_no} is {order.status}")
