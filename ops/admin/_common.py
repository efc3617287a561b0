"""Shared pieces of the ops admin: the audit log's words and the labelled list filters."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from mall.core.actors import is_system_actor
from mall.core.admin import (
    IndexedValuesListFilter,
)
from mall.core.labels import (
    action_label,
    notification_kind_label,
    object_type_label,
)
from mall.core.people import person_name

from ..parameters import (
    format_value,
    parameter_label,
)


def _staff_actor_name(user) -> str:
    # Its own context: the theme's "System" (colour scheme) is 跟随系统.
    return str(pgettext("audit actor", "System")) if is_system_actor(user) else person_name(user)


def _actor_label_text(label: str) -> str:
    """A non-staff actor in words: "会员 #100" for ``member:100``, "匿名" for nobody."""
    if not label or label == "anonymous":
        return str(_("anonymous"))
    kind, _sep, number = label.rpartition(":")
    if kind and number:
        for model in apps.get_models():
            if kind in (model._meta.model_name, model._meta.label_lower):
                return f"{model._meta.verbose_name} #{number}"
    return label


# Keys of audit ``data`` that are not fields of the entry's model, in words.
_DATA_KEYS = {
    "as_role": _("approved as"),
    "key": _("parameter"),
    "kind": _("kind"),
    "recipients": _("recipients"),
    "title": _("title"),
    "dedupe_key": _("deduplication key"),
    "subject": _("subject"),
    "count": _("count"),
    "kinds": _("kinds"),
    "channel": _("channel"),
    "username": _("user name"),
    "reason": _("reason"),
    "role": _("role"),
    "capacity": _("approved as"),
    "request": _("request"),
    "requested_by": _("requested by"),
    "business_approver": _("business owner approval"),
    "tech_approver": _("tech lead approval"),
    "old_value": _("old value"),
    "fields": _("fields"),
    "records": _("records"),
    "new_value": _("new value"),
}
_DATA_VALUES = {
    "as_role": {"business": _("business owner"), "tech": _("tech lead")},
    "capacity": {"head": _("department head"), "tech": _("tech lead")},
    "channel": {"admin": _("admin"), "api": _("API")},
}


def _data_value(key: str, value):
    """A ``data`` value in words: approval roles, parameters, notice kinds."""
    if isinstance(value, str | int | bool) and str(value) in _DATA_VALUES.get(key, {}):
        return _DATA_VALUES[key][str(value)]
    if key == "key" and isinstance(value, str):
        return parameter_label(value)
    if key == "kind" and isinstance(value, str):
        return notification_kind_label(value)
    if key == "kinds" and isinstance(value, list):
        return format_value([notification_kind_label(str(kind)) for kind in value])
    return format_value(value)


def _field_valuer(object_type: str):
    """``(key, value) → text``: people by name, times as local times, choices by label."""
    from datetime import datetime

    from django.utils import formats

    try:
        model = apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        model = None
    fields = {}
    if model is not None:
        for field in model._meta.concrete_fields:
            fields[field.name] = fields[field.attname] = field
    user_model = get_user_model()

    def value(key: str, raw):
        field = fields.get(key)
        if raw in (None, "") or field is None:
            return format_value(raw)
        if field.is_relation and field.related_model is user_model:
            user = user_model.objects.filter(pk=raw).first()
            return person_name(user) if user is not None else format_value(raw)
        if field.choices and not isinstance(raw, list | dict):
            return dict(field.flatchoices).get(raw, raw)
        if field.get_internal_type() == "DateTimeField" and isinstance(raw, str):
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                return raw
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        return format_value(raw)

    return value


def _field_namer(object_type: str):
    """``key → label``: a field of the entry's model by its verbose name, else the key."""
    try:
        model = apps.get_model(object_type) if object_type else None
    except (LookupError, ValueError):
        model = None

    def name(key: str) -> str:
        # The entry's own model first, then the user model (staff entries carry the
        # account's fields: first_name, email, is_active …).
        for candidate in (model, get_user_model()):
            if candidate is None:
                continue
            for field in candidate._meta.concrete_fields:
                if key in (field.name, field.attname):
                    return str(field.verbose_name)
        return str(_DATA_KEYS.get(key, key))

    return name


class LabelledValuesListFilter(IndexedValuesListFilter):
    """A column's values (read from its index) shown by their Chinese label."""

    label = staticmethod(str)

    def choices(self, changelist):
        for choice in super().choices(changelist):
            value = choice.get("display")
            if choice.get("query_string") and value not in (None, "") and value != _("All"):
                choice = {**choice, "display": self.label(str(value))}
            yield choice


class ActionListFilter(LabelledValuesListFilter):
    label = staticmethod(action_label)


class ObjectTypeListFilter(LabelledValuesListFilter):
    label = staticmethod(object_type_label)
