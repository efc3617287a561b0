"""Payment gateways: one adapter per channel behind :class:`base.Gateway`.

``get_gateway(channel)`` builds the adapter from ``settings.PAYMENT_GATEWAYS[channel]``;
a channel without configuration is not offered (400 ``channel_unavailable``).
Every adapter reports its calls to channel health (``payments.services.health``).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import ChannelUnavailable, Gateway

GATEWAY_CLASSES = {
    "wechat": "payments.gateways.wechat.WechatPayGateway",
    "alipay": "payments.gateways.alipay.AlipayGateway",
    "unionpay": "payments.gateways.unionpay.UnionPayGateway",
    "balance": "payments.gateways.balance.BalanceGateway",
    "sandbox": "payments.gateways.sandbox.SandboxGateway",
}


NOTIFY_PATH = "/api/v1/payments/notify/{channel}/"
REFUND_NOTIFY_PATH = "/api/v1/payments/notify/{channel}/refund/"


def notify_url(channel: str, *, refund: bool = False) -> str:
    """The URL the channel calls back: ``PAYMENT_NOTIFY_BASE_URL`` + our path (a relative
    path while the base is not set — real channels refuse it; the sandbox does not care)."""
    path = (REFUND_NOTIFY_PATH if refund else NOTIFY_PATH).format(channel=channel)
    return f"{settings.PAYMENT_NOTIFY_BASE_URL}{path}"


def available_channels() -> list[str]:
    """The channels configured on this installation, in the order of GATEWAY_CLASSES."""
    configured = getattr(settings, "PAYMENT_GATEWAYS", {}) or {}
    return [channel for channel in GATEWAY_CLASSES if channel in configured]


def get_gateway(channel: str) -> Gateway:
    """The adapter of ``channel``; ``ChannelUnavailable`` when it is not configured."""
    configured = getattr(settings, "PAYMENT_GATEWAYS", {}) or {}
    if channel not in GATEWAY_CLASSES or channel not in configured:
        raise ChannelUnavailable(fields={"channel": [str(ChannelUnavailable.default_message)]})
    from ..samples import record_call

    cls = import_string(GATEWAY_CLASSES[channel])
    return cls(configured[channel], on_call=record_call)
