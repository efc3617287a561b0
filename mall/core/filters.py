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
* never filter on a secret or personal-data column (password, token hashes,
  encrypted values, lookup hashes); a search by phone goes through the app's
  selector, which hashes the input.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
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


class FilterSet(django_filters.FilterSet):
    """Base of every FilterSet: boolean model fields get :class:`StrictBooleanFilter`."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }
