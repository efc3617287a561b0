"""FilterSets of the test-only app (the kernel's one filter style)."""

from __future__ import annotations

from mall.core.filters import FilterSet

from .models import Ticket


class TicketFilter(FilterSet):
    """``?site=<id>``: a filter on a granted relation (existence must not leak)."""

    class Meta:
        model = Ticket
        fields = ["site", "is_closed"]
