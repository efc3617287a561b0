"""Per-request context (request id, client IP) that audit entries and logs pick up.

Held in context variables so services deep in the call stack can read them without
passing the request around; Celery tasks run with an empty context.
"""

from __future__ import annotations

import ipaddress
import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)
# The storefront's ``X-Device-Id`` (API.md: a stable device fingerprint), for risk rules.
device_id_var: ContextVar[str | None] = ContextVar("device_id", default=None)
DEVICE_ID_MAX = 128


def current_request_id() -> str:
    return request_id_var.get()


def current_client_ip() -> str | None:
    return client_ip_var.get()


def current_device_id() -> str | None:
    return device_id_var.get()


def device_id_from_meta(meta: dict) -> str | None:
    """The ``X-Device-Id`` header when it is a plausible id (printable ASCII, ≤ 128), else None."""
    value = (meta.get("HTTP_X_DEVICE_ID") or "").strip()
    if not value or len(value) > DEVICE_ID_MAX or not value.isascii() or not value.isprintable():
        return None
    return value


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip_from_meta(meta: dict) -> str | None:
    """Return the client's IP — the one function throttles, lockout and audit all use.

    With ``TRUSTED_PROXY_COUNT = 0`` (the default: the app faces clients directly)
    it is ``REMOTE_ADDR`` and ``X-Forwarded-For`` is ignored. Behind N proxies of
    our own, each appending the address it saw, the client is the N-th entry from
    the right of ``X-Forwarded-For``; entries further left were written by the
    client and are ignored, so a forged header can neither dodge a per-IP limit nor
    put a made-up address into the audit log. A header with fewer entries than
    proxies (the request did not come through them) falls back to ``REMOTE_ADDR``.
    Anything that is not an IP address is never returned.
    """
    from django.conf import settings

    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return _valid_ip(forwarded[-proxies])
    return _valid_ip(meta.get("REMOTE_ADDR"))


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True
