"""Cursor pagination: stable on large tables, ``{"results", "next", "previous"}``."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request):
        """Refuse a malformed ``page_size`` (400) instead of silently ignoring it."""
        raw = request.query_params.getlist(self.page_size_query_param)
        if raw:
            value = raw[-1]
            if not value.isdigit() or int(value) < 1:
                raise ValidationError(
                    {self.page_size_query_param: [_("A whole number of at least 1.")]}
                )
        return super().get_page_size(request)
