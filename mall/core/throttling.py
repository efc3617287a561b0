"""DRF throttles keyed by the one trusted client IP (``mall.core.context``)."""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle

from .context import client_ip_from_meta


class ClientIpScopedRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` whose anonymous key is :func:`client_ip_from_meta`.

    DRF's own ``get_ident`` reads ``X-Forwarded-For`` by its own rules (and trusts
    it whole when ``NUM_PROXIES`` is unset), which a client could forge to get a
    fresh allowance per request.
    """

    def get_ident(self, request) -> str:
        return client_ip_from_meta(request.META) or "unknown"
