"""Per-request context (request id, client IP) that audit entries and logs pick up.

Held in context variables so services deep in the call stack can read them without
passing the request around; Celery tasks run with an empty context.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_request_id() -> str:
    return request_id_var.get()


def current_client_ip() -> str | None:
    return client_ip_var.get()


def client_ip_from_meta(meta: dict) -> str | None:
    """Return the client's IP: REMOTE_ADDR, or the proxy's header when configured.

    ``X-Forwarded-For`` is trusted only behind our own proxy (``DJANGO_SECURE=1``
    sets ``SECURE_PROXY_SSL_HEADER``); otherwise a client could forge it to dodge
    the per-IP lockout.
    """
    from django.conf import settings

    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return meta.get("REMOTE_ADDR") or None


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True
