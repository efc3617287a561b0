"""Cursor pagination: stable on large tables, ``{"results", "next", "previous"}``.

``?page_size=`` takes 1–200; anything else is a 400 in the API error shape rather
than being silently replaced by the default (clients should learn of their mistake).

Cursors are signed (HMAC with the project's secret key): a client can only send back
a cursor we gave out. A tampered, truncated or made-up cursor is a 400 ``invalid``
on ``cursor`` — it never reaches the database as a position of the client's choosing
(which could be a value the column cannot hold, a 500, or a probe of rows by value).
"""

from base64 import b64decode, b64encode
from urllib import parse

from django.core import signing
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import replace_query_param

_signer = signing.Signer(salt="mall.core.pagination.cursor")


class DefaultCursorPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Must be a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    invalid_cursor_message = _("Invalid cursor: use the next/previous links as given.")

    def encode_cursor(self, cursor: Cursor) -> str:
        tokens = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = cursor.position
        querystring = parse.urlencode(tokens, doseq=True)
        encoded = b64encode(querystring.encode("utf-8")).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, _signer.sign(encoded))

    def decode_cursor(self, request) -> Cursor | None:
        signed = request.query_params.get(self.cursor_query_param)
        if signed is None:
            return None
        try:
            encoded = _signer.unsign(signed)
            tokens = parse.parse_qs(
                b64decode(encoded.encode("ascii"), validate=True).decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
            )
            offset = int(tokens.get("o", ["0"])[0])
            reverse = tokens.get("r", ["0"])[0]
            position = tokens.get("p", [None])[0]
        except (signing.BadSignature, TypeError, ValueError, UnicodeError):
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid"
            ) from None
        if not 0 <= offset <= self.offset_cutoff or reverse not in ("0", "1"):
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid"
            )
        return Cursor(offset=offset, reverse=reverse == "1", position=position)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
