"""The one filter style of every list endpoint: django-filter FilterSets in ``<app>/filters.py``.

A list endpoint names its ``filterset_class`` (a :class:`FilterSet` from this
module); the kernel's :class:`~mall.core.api.ScopedFilterBackend` validates the
query string with it (a bad value is a 400 in the API error shape, never a 500 or
a silently ignored filter), and scopes the choices of every relation filter to the
reader's data scope, so ``?warehouse=<id outside scope>`` answers exactly like an
id that does not exist. The schema (OpenAPI) is generated from the same FilterSet.

Model example: ``dispatch/filters.py``.

Conventions:

* filter on codes people type (``?warehouse=WH-SH``) with ``CharFilter`` on
  ``…__code``; on relations by id with ``ModelChoiceFilter`` (scoped for you);
* booleans are :class:`StrictBooleanFilter`: only ``true``/``false`` (``?running=``,
  ``?running=maybe`` are 400, not "false");
* whole numbers are :class:`WholeNumberFilter` (every integer model field gets one,
  bounded to the column's database range): ``1.5``, ``1e309``, ``NaN`` and a number
  the column cannot hold are 400, never a silent "no rows" or a database error;
* date-times are :class:`IsoDateTimeFilter` (every datetime model field gets one):
  ISO 8601, within years 1970–2999 — ``0001-01-01T00:00:00+14:00`` would overflow
  when converted to UTC or local time (a 500), so it is a 400;
* never filter on a secret or personal-data column (password, token hashes,
  encrypted values, lookup hashes); a search by phone goes through the app's
  selector, which hashes the input.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db import connection, models
from django.utils.translation import gettext_lazy as _


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (any case) or absent; anything else is a validation error.

    A plain text widget hands over the raw value (the select widget of Django's
    ``NullBooleanField`` turns any unknown text into "no filter").
    """

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
        raise forms.ValidationError(_("Must be true or false."), code="invalid")

    def validate(self, value):
        return None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number (``1.5`` is a 400, not rounded; django-filter's default is decimal).

    Give ``min_value``/``max_value`` for a declared filter; on a model field the
    kernel's :class:`FilterSet` bounds it to the column's range.
    """

    field_class = forms.IntegerField


def _column_range(field: models.Field) -> dict[str, int]:
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    return {"min_value": low, "max_value": high}


_WHOLE_NUMBER = {"filter_class": WholeNumberFilter, "extra": _column_range}


DATETIME_YEARS = (1970, 2999)


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time within :data:`DATETIME_YEARS` (converting a time near
    ``datetime.min``/``max`` to UTC or local time overflows: a 500 otherwise)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        first, last = DATETIME_YEARS
        if not first <= parsed.year <= last:
            raise forms.ValidationError(
                _("Enter a date and time between the years %(first)s and %(last)s.")
                % {"first": first, "last": last},
                code="invalid",
            )
        return parsed


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """The kernel's date-time filter: ISO 8601, bounded (:class:`BoundedIsoDateTimeField`)."""

    field_class = BoundedIsoDateTimeField


class FilterSet(django_filters.FilterSet):
    """Base of every FilterSet: strict booleans and bounded whole numbers for model fields."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.IntegerField: _WHOLE_NUMBER,
        models.BigIntegerField: _WHOLE_NUMBER,
        models.SmallIntegerField: _WHOLE_NUMBER,
        models.PositiveIntegerField: _WHOLE_NUMBER,
        models.PositiveBigIntegerField: _WHOLE_NUMBER,
        models.PositiveSmallIntegerField: _WHOLE_NUMBER,
        models.AutoField: _WHOLE_NUMBER,
        models.BigAutoField: _WHOLE_NUMBER,
        models.SmallAutoField: _WHOLE_NUMBER,
        models.DateTimeField: {"filter_class": IsoDateTimeFilter},
    }
