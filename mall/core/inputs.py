"""Input hygiene at the door, once for every view: control characters and JSON shape.

* **Control characters** (C0: U+0000–U+001F and U+007F) are refused with 400 in
  every query-string key and value, in every request header, and in every field of
  a form or JSON body — except tab, line feed and carriage return in *body* values,
  where multi-line text (a description, a reason) legitimately has them. Nothing
  downstream (the ORM, PostgreSQL — which refuses NUL in text —, logs, exports) ever
  sees them, so none of those paths can fail on them. Under ``/api/`` the answer is
  the API error shape (``code: control_characters``); elsewhere a plain 400 page.
* **JSON bodies** (:class:`BoundedJSONParser`, the API's only JSON parser) are
  refused when nested deeper than ``MAX_JSON_DEPTH`` levels, and when any key or
  string holds a control character other than tab/newline/return.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF, CR allowed
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def has_control_characters(value: str, *, text: bool = False) -> bool:
    """True when ``value`` holds a C0 control character (``text``: tab/LF/CR allowed)."""
    return bool((_CONTROL_IN_TEXT if text else _CONTROL).search(value))


def _bad_pairs(pairs: Iterable[tuple[str, str]], *, text: bool) -> str | None:
    for key, value in pairs:
        if has_control_characters(key) or has_control_characters(str(value), text=text):
            return key
    return None


def _refuse(request, where: str):
    message = _("Control characters are not allowed (%(where)s).") % {"where": where}
    if request.path.startswith("/api/"):
        from .exceptions import error_body

        return JsonResponse(error_body("control_characters", message), status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class ControlCharacterMiddleware:
    """Refuse requests whose query string, headers or form fields hold control characters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = [(key, value) for key in request.GET for value in request.GET.getlist(key)]
        bad = _bad_pairs(query, text=False)
        if bad is not None:
            return _refuse(request, _("query parameter %(name)s") % {"name": repr(bad)})
        headers = [(key, value) for key, value in request.META.items() if key.startswith("HTTP_")]
        bad = _bad_pairs(headers, text=False)
        if bad is not None:
            return _refuse(request, _("header %(name)s") % {"name": bad[5:].replace("_", "-")})
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            form = [(key, value) for key in request.POST for value in request.POST.getlist(key)]
            bad = _bad_pairs(form, text=True)
            if bad is not None:
                return _refuse(request, _("field %(name)s") % {"name": repr(bad)})
        return self.get_response(request)


def _check_json(value, depth: int = 1) -> None:
    """Walk a parsed JSON value: depth limit and control characters in keys and strings."""
    stack = [(value, depth)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict | list):
            if level > MAX_JSON_DEPTH:
                raise ParseError(
                    _("JSON nested deeper than %(max)d levels.") % {"max": MAX_JSON_DEPTH}
                )
            items = current.items() if isinstance(current, dict) else enumerate(current)
            for key, item in items:
                if isinstance(key, str) and has_control_characters(key):
                    raise ParseError(_("Control characters are not allowed in JSON keys."))
                stack.append((item, level + 1))
        elif isinstance(current, str) and has_control_characters(current, text=True):
            raise ParseError(_("Control characters are not allowed in JSON strings."))


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the depth and control-character rules of this module."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # nesting deep enough to exhaust the decoder's stack
            raise ParseError(
                _("JSON nested deeper than %(max)d levels.") % {"max": MAX_JSON_DEPTH}
            ) from None
        _check_json(data)
        return data


__all__ = ["MAX_JSON_DEPTH", "BoundedJSONParser", "ControlCharacterMiddleware"]
