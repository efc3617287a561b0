"""Deploy checks of the payments app (``manage.py check --deploy``).

payments.E001: the sandbox channel is on with production settings (anyone holding its
secret could mark orders paid); payments.E002: a real channel is configured but
``PAYMENT_NOTIFY_BASE_URL`` is not a public https address (the channel could not call
back, or would call back in clear text).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

REAL_CHANNELS = ("wechat", "alipay", "unionpay")


def payment_channels_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not getattr(settings, "SECURE", False):
        return []
    errors: list[checks.CheckMessage] = []
    gateways = getattr(settings, "PAYMENT_GATEWAYS", {}) or {}
    if "sandbox" in gateways:
        errors.append(
            checks.Error(
                "The sandbox payment channel is on with production settings: unset "
                "PAYMENT_SANDBOX_SECRET (docs/PAYMENTS_MERCHANT_SETUP.md).",
                id="payments.E001",
            )
        )
    base = getattr(settings, "PAYMENT_NOTIFY_BASE_URL", "")
    if any(channel in gateways for channel in REAL_CHANNELS) and not base.startswith("https://"):
        errors.append(
            checks.Error(
                "PAYMENT_NOTIFY_BASE_URL must be the mall's public https address when a "
                "payment channel is configured (the channels call back there).",
                id="payments.E002",
            )
        )
    return errors
