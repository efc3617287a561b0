"""Request id and client IP for every request (logs, audit, the X-Request-ID header)."""

from __future__ import annotations

import re
import uuid

from .context import (
    client_ip_from_meta,
    client_ip_var,
    device_id_from_meta,
    device_id_var,
    request_id_var,
)

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
        device_token = device_id_var.set(device_id_from_meta(request.META))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(rid_token)
            client_ip_var.reset(ip_token)
            device_id_var.reset(device_token)
        response["X-Request-ID"] = request_id
        return response


class TwoFactorMiddleware:
    """Session users who must use two-factor login pass it before any admin page or API call.

    Not yet verified in this session: the admin redirects to the code page (or, not
    enrolled, to enrolment); a session call under ``/api/`` is 403
    ``two_factor_required``. Token requests are not session users here (DRF
    authenticates them in the view); their token was issued after a second factor.
    """

    EXEMPT = ("/admin/2fa/", "/admin/logout/", "/admin/login/", "/admin/jsi18n/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import twofactor

        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and (path.startswith("/admin/") or path.startswith("/api/"))
            and not path.startswith(self.EXEMPT)
            and twofactor.two_factor_required(user)
            and not twofactor.session_verified(request)
        ):
            return self._refuse(request, path)
        return self.get_response(request)

    def _refuse(self, request, path):
        from urllib.parse import urlencode

        from django.http import HttpResponseRedirect, JsonResponse
        from django.utils.translation import gettext as _

        from .services import two_factor_enrolled

        if path.startswith("/api/"):
            from .exceptions import error_body

            return JsonResponse(
                error_body(
                    "two_factor_required", _("Complete two-factor login in the admin first.")
                ),
                status=403,
            )
        target = "/admin/2fa/verify/"
        if not two_factor_enrolled(actor=request.user):
            target = "/admin/2fa/enrol/"
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
