"""Form widgets of the catalog admin: a SKU's specification as name/value rows.

Staff never type JSON: :class:`SpecRowsWidget` shows one row per specification entry
(name, value, remove) and an "add row" button; :class:`SpecField` turns the rows back
into the ``{name: value}`` dict the services take. The length rules stay in the
service (``_clean_spec``), which answers in Chinese like every other refusal.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The service's bounds (catalog.services.products._clean_spec), repeated as input hints.
SPEC_NAME_MAX = 30
SPEC_VALUE_MAX = 60


def _as_dict(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


class SpecRowsWidget(forms.Widget):
    """Edit a ``{name: value}`` dict as rows of two inputs (add / remove rows)."""

    template_name = "catalog/widgets/spec_rows.html"

    class Media:
        js = ["catalog/spec_rows.js"]

    def format_value(self, value):
        return _as_dict(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = list(value.items()) if isinstance(value, dict) else []
        if isinstance(value, list):  # rows posted back with an error
            rows = value
        context["widget"].update(
            rows=rows or [("", "")],
            name_max=SPEC_NAME_MAX,
            value_max=SPEC_VALUE_MAX,
        )
        return context

    def value_from_datadict(self, data, files, name):
        keys = data.getlist(f"{name}__key") if hasattr(data, "getlist") else []
        values = data.getlist(f"{name}__value") if hasattr(data, "getlist") else []
        if not keys and not values:
            return None
        values = values + [""] * (len(keys) - len(values))
        return [(str(k), str(v)) for k, v in zip(keys, values, strict=False)]

    def value_omitted_from_data(self, data, files, name):
        return f"{name}__key" not in data and f"{name}__value" not in data


class SpecField(forms.Field):
    """The rows as a dict; an empty row is skipped, a value without a name is refused."""

    widget = SpecRowsWidget
    default_error_messages = {
        "no_name": _("Give a name for the value “%(value)s”."),
        "duplicate": _("The name “%(name)s” appears twice."),
    }

    def to_python(self, value) -> dict:
        if value in (None, ""):
            return {}
        if isinstance(value, dict):
            return value
        spec: dict[str, str] = {}
        for key, item in value:
            key, item = key.strip(), item.strip()
            if not key and not item:
                continue
            if not key:
                raise ValidationError(
                    self.error_messages["no_name"], code="no_name", params={"value": item}
                )
            if key in spec:
                raise ValidationError(
                    self.error_messages["duplicate"], code="duplicate", params={"name": key}
                )
            spec[key] = item
        return spec

    def bound_data(self, data, initial):
        return data if data is not None else initial

    def prepare_value(self, value):
        return value if isinstance(value, list) else _as_dict(value)

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != _as_dict(initial)
        except ValidationError:
            return True
