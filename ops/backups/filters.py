"""Query filters of the backups staff API: ``backups/?kind=&status=``,
``backups/restore-checks/?status=`` (an empty value is no filter; an unknown code is a 400)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mall.core.filters import FilterSet

from .models import Backup, RestoreCheck


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ChoiceFilter):
    """A code from a fixed list (validated)."""


class BackupFilter(FilterSet):
    kind = CodeChoiceFilter(choices=Backup.Kind.choices, label=_("backup kind"))
    status = CodeChoiceFilter(choices=Backup.Status.choices, label=_("status"))

    class Meta:
        model = Backup
        fields = ["kind", "status"]


class RestoreCheckFilter(FilterSet):
    status = CodeChoiceFilter(choices=RestoreCheck.Status.choices, label=_("status"))

    class Meta:
        model = RestoreCheck
        fields = ["status"]
