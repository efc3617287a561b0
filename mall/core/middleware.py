"""Request id and client IP for every request (logs, audit, the X-Request-ID header)."""

from __future__ import annotations

import re
import uuid

from .context import client_ip_from_meta, client_ip_var, request_id_var

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        rid_token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip_from_meta(request.META))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(rid_token)
            client_ip_var.reset(ip_token)
        response["X-Request-ID"] = request_id
        return response
