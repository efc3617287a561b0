"""Cursor pagination that refuses a malformed ``page_size`` instead of ignoring it."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from mall.core.pagination import DefaultCursorPagination


class StrictCursorPagination(DefaultCursorPagination):
    """``?page_size=`` must be a whole number ≥ 1 (capped at ``max_page_size``)."""

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: [_("Enter a whole number ≥ 1.")]})
        return min(size, self.max_page_size)
