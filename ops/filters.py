"""FilterSets of the ops endpoints (the kernel's one filter style, ``mall.core.filters``)."""

from __future__ import annotations

import django_filters

from mall.core.filters import FilterSet, StrictBooleanFilter

from .models import ParameterChangeRequest, SlaClock, StaffNotification
from .selectors import parameter_change_requests_awaiting


class ParameterChangeRequestFilter(FilterSet):
    """``?status=pending``; ``?awaiting=true``: only requests waiting for my approval."""

    status = django_filters.ChoiceFilter(choices=ParameterChangeRequest.Status.choices)
    awaiting = StrictBooleanFilter(method="filter_awaiting")

    class Meta:
        model = ParameterChangeRequest
        fields = ["status", "awaiting"]

    def filter_awaiting(self, queryset, name, value):
        if not value:
            return queryset
        return parameter_change_requests_awaiting(actor=self.request.user, queryset=queryset)


class SlaClockFilter(FilterSet):
    """``?kind=``, ``?status=``, ``?region=<code>``, ``?running=true|false``."""

    kind = django_filters.CharFilter(max_length=50)
    status = django_filters.ChoiceFilter(choices=SlaClock.Status.choices)
    region = django_filters.CharFilter(field_name="region__code", max_length=20)
    running = StrictBooleanFilter(field_name="closed_at", lookup_expr="isnull")

    class Meta:
        model = SlaClock
        fields = ["kind", "status", "region", "running"]


class StaffNotificationFilter(FilterSet):
    """``?unread=true``: only unread notices (``false`` or absent: all of them)."""

    unread = StrictBooleanFilter(method="filter_unread")

    class Meta:
        model = StaffNotification
        fields = ["unread"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=True) if value else queryset
