"""Domain errors and the one place that turns any error into the API error shape.

Every API error is ``{"error": {"code", "message", "fields"}}`` (shared/API.md).
Services raise ``ApplicationError`` subclasses with stable codes; DRF's own
exceptions and Django's 404/500 under ``/api/`` are rendered the same way.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A rule of the domain said no. Subclass per app with a stable ``code``.

    ``status_code`` picks the HTTP status when it reaches the API: 400 for
    invalid input, 403 forbidden, 404 not found, 409 conflict with current state.
    """

    code = "application_error"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The request could not be carried out.")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = str(message if message is not None else self.default_message)
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(self.message)


class NotFound(ApplicationError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("Not found.")


class PermissionDeniedError(ApplicationError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to perform this action.")


class Conflict(ApplicationError):
    code = "conflict"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The request conflicts with the current state.")


class InvalidInput(ApplicationError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("Invalid input.")


def error_body(code: str, message: str, fields: dict | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {"code": code, "message": str(message), "fields": fields or {}}
    body.update(extra)
    return {"error": body}


def _flatten_fields(detail: Any) -> dict[str, list[str]]:
    """Turn DRF's nested ``ValidationError.detail`` into ``{field: [messages]}``."""
    fields: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if all(not isinstance(item, dict | list) for item in value):
                fields.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    walk(f"{prefix}[{index}]", sub)
        else:
            fields.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return fields


_DRF_CODES = {
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "throttled",
}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render every exception reaching a DRF view in the API error shape."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        body = error_body(exc.code, exc.message, exc.fields, **exc.extra)
        headers = {"WWW-Authenticate": "Token"} if exc.status_code == 401 else None
        return Response(body, status=exc.status_code, headers=headers)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = drf_exceptions.ValidationError(detail)

    if not isinstance(exc, drf_exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500 (JSON under /api/)

    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, drf_exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        body = error_body("invalid", _("Invalid input."), fields)
    else:
        code = next(
            (c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)),
            getattr(exc, "default_code", "error"),
        )
        if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
            # 401 needs a WWW-Authenticate challenge; DRF gives 403 without one.
            headers.setdefault("WWW-Authenticate", "Token")
            exc.status_code = status.HTTP_401_UNAUTHORIZED
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body = error_body(code, detail)
    return Response(body, status=exc.status_code, headers=headers)


# --- Django-level handlers (URLs no DRF view matched, crashes) ---------------------------


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def json_or_html_404(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


@csrf_exempt  # it changes nothing; a POST to a wrong path must read 404, not a CSRF page
def api_route_not_found(request, *args, **kwargs):
    """Any path under ``/api/`` that no route matched: a 404 in the API error shape.

    CSRF-exempt like every API view: a POST with a cookie to an unknown route is a
    404, not Django's HTML CSRF page.
    """
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_or_html_500(request):
    if _wants_json(request):
        return JsonResponse(error_body("server_error", _("Internal server error.")), status=500)
    from django.views.defaults import server_error

    return server_error(request)


def json_or_html_400(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def json_or_html_403(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("permission_denied", _("Forbidden.")), status=403)
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)
