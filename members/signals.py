"""Signals of the members app, for apps to the right (risk) to react to.

Sent after the transaction commits (never for rolled-back work), with
``send_robust`` so a failing receiver cannot undo or break the member's action.

* ``member_registered(member, client_ip, device_id)`` — a new account (risk: registration
  bursts from one IP/device).
* ``coupon_claimed(coupon, member, client_ip, device_id)`` — a storefront claim (risk:
  claim velocity per account/IP, coupon farming).
* ``sms_code_sent(phone, purpose, client_ip, device_id)`` — a verification code was
  sent (risk: rate limits per phone, IP and device).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

member_registered = Signal()
coupon_claimed = Signal()
sms_code_sent = Signal()


def send_on_commit(signal: Signal, sender, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send_robust(sender=sender, **kwargs))
