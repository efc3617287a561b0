"""The sandbox channel's "pay now" page (demo): ``/payments/sandbox/pay/<transaction_no>/``.

What the payer would see at the channel: the order number, the amount, a 立即支付
(pay now) and a 支付失败 (payment fails) button. Pressing one sends a correctly signed
sandbox notification through the same service the callback endpoint calls
(``payment_notify``) and shows what came of it. Exists only while the sandbox channel
is configured (``PAYMENT_SANDBOX_SECRET``; 404 otherwise) and only for unpaid sandbox
transactions (404 for anything else); CSRF protected. The sandbox's ``create_payment``
answers this page's path as ``pay_params["pay_page"]``.
"""

from __future__ import annotations

import json
import secrets

from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from mall.core.actors import system_actor
from mall.core.context import client_ip_from_meta

from .gateways import available_channels, get_gateway
from .gateways.sandbox import SIGNATURE_HEADER, sandbox_sign
from .models import Channel, PaymentTransaction
from .selectors import transaction_list
from .services.transactions import payment_notify

RESULTS = ("success", "failed")


def _unpaid_sandbox_transaction(transaction_no: str) -> PaymentTransaction:
    """The unpaid sandbox transaction ``transaction_no``; 404 when the sandbox is off or
    there is none. Not a person's read of scoped data: the channel's own page, reached
    by the transaction number it was given (as at a real channel's cashier)."""
    if Channel.SANDBOX not in available_channels() or len(transaction_no) > 32:
        raise Http404
    txn = (
        transaction_list(actor=system_actor())
        .filter(
            transaction_no=transaction_no,
            channel=Channel.SANDBOX,
            status=PaymentTransaction.Status.UNPAID,
        )
        .first()
    )
    if txn is None:
        raise Http404
    return txn


def _notification(txn: PaymentTransaction, *, failed: bool) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "transaction_no": txn.transaction_no,
            "channel_trade_no": f"SBX{secrets.token_hex(8).upper()}",
            "amount": f"{txn.total_amount:.2f}",
            "status": "FAILED" if failed else "SUCCESS",
            "paid_at": timezone.now().isoformat(),
            "nonce": secrets.token_hex(8),
        }
    ).encode()
    return body, sandbox_sign(get_gateway(Channel.SANDBOX).secret, body)


@csrf_protect
def sandbox_pay(request, transaction_no: str):
    """GET: the pay page; POST ``result=success|failed``: send the notification."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    txn = _unpaid_sandbox_transaction(transaction_no)
    context = {
        "transaction": txn,
        "order_no": txn.order.order_no if txn.order_id else "",
        "amount": f"{txn.total_amount:.2f}",
        "outcome": None,
    }
    if request.method == "GET":
        return render(request, "payments/sandbox_pay.html", context)
    result = request.POST.get("result", "")
    if result not in RESULTS:
        context["error"] = _("Choose to pay or to fail the payment.")
        return render(request, "payments/sandbox_pay.html", context, status=400)
    failed = result == "failed"
    body, signature = _notification(txn, failed=failed)
    answer = payment_notify(
        actor=system_actor(),
        channel=Channel.SANDBOX,
        headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
        body=body,
        remote_ip=client_ip_from_meta(request.META),
    )
    txn.refresh_from_db()
    order = txn.order
    if order is not None:
        order.refresh_from_db()
    if answer.status != 200:
        message = _("The payment could not be recorded; finance has been told.")
    elif failed:
        message = _("The payment failed. The order is still waiting for payment.")
    elif txn.status == PaymentTransaction.Status.PAID:
        message = _("Payment succeeded.")
    else:
        message = _("The payment was received.")
    context["outcome"] = {
        "ok": answer.status == 200 and not failed,
        "message": message,
        "answer_status": answer.status,
        "order_status": order.get_status_display() if order is not None else "",
        "transaction_status": txn.get_status_display(),
    }
    return render(request, "payments/sandbox_pay.html", context)
