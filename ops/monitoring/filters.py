"""Query filters of the monitoring staff API (``mall.core.filters`` style).

* ``/api/v1/monitoring/alerts/?status=&severity=``
* ``/api/v1/monitoring/incidents/?status=&severity=``

A code outside its list is a 400; an empty value is no filter.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mall.core.filters import FilterSet

from .models import Alert, Incident, Severity


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ChoiceFilter):
    """A code from a fixed list (validated; a plain string in the schema)."""


class AlertFilter(FilterSet):
    status = CodeChoiceFilter(choices=Alert.Status.choices, label=_("status"))
    severity = CodeChoiceFilter(choices=Severity.choices, label=_("severity"))

    class Meta:
        model = Alert
        fields = ["status", "severity"]


class IncidentFilter(FilterSet):
    status = CodeChoiceFilter(choices=Incident.Status.choices, label=_("status"))
    severity = CodeChoiceFilter(choices=Severity.choices, label=_("severity"))

    class Meta:
        model = Incident
        fields = ["status", "severity"]
