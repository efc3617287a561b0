"""Query filters of the sales channel endpoints (the one filter style: ``mall.core.filters``).

``?q=`` searches the channel name, redeem domain and storefront user id by prefix
(case-insensitive; each column has a ``SearchIndex``); ``?kind=`` and ``?status=``
take the codes of the choices. An invalid value is a 400.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mall.core.filters import FilterSet

from .models import ChannelLedgerEntry, SalesChannel


class SalesChannelFilter(FilterSet):
    """``?q=<name|domain|user id prefix>&kind=tmall&status=active``."""

    q = django_filters.CharFilter(method="filter_q", max_length=120, label=_("search"))
    kind = django_filters.ChoiceFilter(choices=SalesChannel.Kind.choices, label=_("channel type"))
    status = django_filters.ChoiceFilter(choices=SalesChannel.Status.choices, label=_("status"))

    class Meta:
        model = SalesChannel
        fields = ["q", "kind", "status"]

    def filter_q(self, queryset, name, value):
        """Channels whose name, redeem domain or storefront user id starts with ``value``."""
        text = (value or "").strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(name__istartswith=text)
            | Q(redeem_domain__istartswith=text)
            | Q(storefront_user_id__istartswith=text)
        )


class ChannelLedgerFilter(FilterSet):
    """``?kind=settlement&reference_no=DD…``."""

    kind = django_filters.ChoiceFilter(choices=ChannelLedgerEntry.Kind.choices, label=_("kind"))
    reference_no = django_filters.CharFilter(max_length=60, label=_("reference"))

    class Meta:
        model = ChannelLedgerEntry
        fields = ["kind", "reference_no"]
