"""Query filters of the risk staff API (``mall.core.filters`` style).

* ``/api/v1/risk/cases/?status=&kind=&point=&region=&rule=&order_no=&member=
  &created_after=&created_before=``
* ``/api/v1/risk/freezes/?status=&region=&order_no=&case_no=``
* ``/api/v1/risk/events/?point=&decision=&rule=&region=&member=&created_after=
  &created_before=``
* ``/api/v1/risk/marks/?level=&member=&live=``
* ``/api/v1/risk/blacklist/?kind=&member=&live=``

Every value is validated (a code outside its list, a malformed number or date is a 400,
never an ignored filter). ``region`` is a sales region code; the rows filtered are the
list selector's, already inside the caller's scope. There is no search or ordering
parameter: nothing is matched or sorted on a masked field (a member's phone) or a
stored lookup hash (a blacklisted phone or address).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mall.core.filters import FilterSet, IsoDateTimeFilter, StrictBooleanFilter, WholeNumberFilter

from .models import BlacklistEntry, Decision, FundFreeze, Point, RiskCase, RiskEvent, RiskMark

NUMBER_MAX = 24
ID_MAX = 2**63 - 1


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ChoiceFilter):
    """A code from a fixed list (validated; a plain string in the schema so other apps'
    enums keep their names)."""


def _region():
    from rbac.models import SalesRegion

    return django_filters.ModelChoiceFilter(
        field_name="region",
        to_field_name="code",
        queryset=SalesRegion.objects.all(),
        label=_("sales region code"),
    )


def _number(field_name: str, label) -> django_filters.CharFilter:
    return django_filters.CharFilter(field_name=field_name, max_length=NUMBER_MAX, label=label)


def _member() -> WholeNumberFilter:
    return WholeNumberFilter(
        field_name="member_id", min_value=1, max_value=ID_MAX, label=_("member id")
    )


def _created(lookup: str, label) -> IsoDateTimeFilter:
    return IsoDateTimeFilter(field_name="created_at", lookup_expr=lookup, label=label)


class _LiveFilterSet(FilterSet):
    live = StrictBooleanFilter(method="filter_live", label=_("in force"))

    def filter_live(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        live = Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        return queryset.filter(live) if value else queryset.exclude(live)


class CaseFilter(FilterSet):
    status = CodeChoiceFilter(choices=RiskCase.Status.choices, label=_("status"))
    kind = CodeChoiceFilter(choices=RiskCase.Kind.choices, label=_("type"))
    point = CodeChoiceFilter(choices=Point.choices, label=_("checkpoint"))
    region = _region()
    rule = django_filters.CharFilter(field_name="rule", max_length=50, label=_("rule"))
    order_no = _number("order__order_no", _("order number"))
    member = _member()
    created_after = _created("gte", _("created from"))
    created_before = _created("lt", _("created before"))

    class Meta:
        model = RiskCase
        fields: list[str] = []


class FreezeFilter(FilterSet):
    status = CodeChoiceFilter(choices=FundFreeze.Status.choices, label=_("status"))
    region = _region()
    order_no = _number("order__order_no", _("order number"))
    case_no = _number("case__case_no", _("case number"))

    class Meta:
        model = FundFreeze
        fields: list[str] = []


class EventFilter(FilterSet):
    point = CodeChoiceFilter(choices=Point.choices, label=_("checkpoint"))
    decision = CodeChoiceFilter(choices=Decision.choices, label=_("decision"))
    rule = django_filters.CharFilter(field_name="rule", max_length=50, label=_("rule"))
    region = _region()
    member = _member()
    created_after = _created("gte", _("created from"))
    created_before = _created("lt", _("created before"))

    class Meta:
        model = RiskEvent
        fields: list[str] = []


class MarkFilter(_LiveFilterSet):
    level = CodeChoiceFilter(choices=RiskMark.Level.choices, label=_("level"))
    member = _member()

    class Meta:
        model = RiskMark
        fields: list[str] = []


class BlacklistFilter(_LiveFilterSet):
    kind = CodeChoiceFilter(choices=BlacklistEntry.Kind.choices, label=_("type"))
    member = _member()

    class Meta:
        model = BlacklistEntry
        fields: list[str] = []
