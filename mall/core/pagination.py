"""Cursor pagination: stable on large tables, ``{"results", "next", "previous"}``."""

from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
