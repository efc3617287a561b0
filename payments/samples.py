"""Health samples: every call a gateway makes to its channel's server (and every
notification the channel sends) is one ``ChannelCall`` row. ``record_call`` is the
gateways' ``on_call`` hook; ``payments.services.health`` turns the samples of a sliding
window into ``ChannelHealth``. Not a service: a sample records a fact, decides nothing.
"""

from __future__ import annotations

from django.utils import timezone

from .models import ChannelCall


def record_call(channel: str, operation: str, ok: bool, latency_ms: int, code: str) -> None:
    ChannelCall.objects.create(
        channel=channel,
        operation=operation,
        ok=ok,
        latency_ms=max(0, int(latency_ms)),
        error_code=(code or "")[:40],
        at=timezone.now(),
    )
