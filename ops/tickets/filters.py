"""Query filters of the staff ticket API (``mall.core.filters`` style).

``/api/v1/tickets/?status=&kind=&category=&priority=&source=&region=&assigned=mine|none
&order_no=&member=&escalated=&created_after=&created_before=``

Every value is validated (a code outside its list, a malformed number or date is a 400);
an empty value means "no filter". There is no search on the member's phone (masked and
stored encrypted): a member is found by id, or by the full phone through the members'
lookup hash in the admin.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mall.core.filters import FilterSet, IsoDateTimeFilter, StrictBooleanFilter, WholeNumberFilter

from .models import Ticket

NUMBER_MAX = 24
ID_MAX = 2**63 - 1


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ChoiceFilter):
    """A code from a fixed list (validated; a plain string in the schema)."""


class TicketFilter(FilterSet):
    status = CodeChoiceFilter(choices=Ticket.Status.choices, label=_("status"))
    kind = CodeChoiceFilter(choices=Ticket.Kind.choices, label=_("type"))
    category = CodeChoiceFilter(choices=Ticket.Category.choices, label=_("classification"))
    priority = CodeChoiceFilter(choices=Ticket.Priority.choices, label=_("priority"))
    source = CodeChoiceFilter(choices=Ticket.Source.choices, label=_("source"))
    region = django_filters.CharFilter(
        field_name="region__code", max_length=20, label=_("sales region code")
    )
    assigned = CodeChoiceFilter(
        choices=[("mine", _("assigned to me")), ("none", _("not assigned"))],
        method="filter_assigned",
        label=_("assignee"),
    )
    order_no = django_filters.CharFilter(
        field_name="order__order_no", max_length=NUMBER_MAX, label=_("order number")
    )
    member = WholeNumberFilter(
        field_name="member_id", min_value=1, max_value=ID_MAX, label=_("member id")
    )
    escalated = StrictBooleanFilter(method="filter_escalated", label=_("escalated"))
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("created from")
    )
    created_before = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("created before")
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_assigned(self, queryset, name, value):
        if value == "mine":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset

    def filter_escalated(self, queryset, name, value):
        if value is None:
            return queryset
        escalated = Q(escalated_at__isnull=False) | Q(sla_escalated=True)
        return queryset.filter(escalated) if value else queryset.exclude(escalated)
