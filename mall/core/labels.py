"""Chinese labels for the codes the system writes: audit actions, object types,
notification kinds and scheduled tasks — so no screen shows ``auth.login``,
``members.member`` or ``catalog.review_waiting``.

One registry, filled the way the beat schedule is (``mall.core.schedule``): each app
may have a ``labels.py`` module with any of::

    ACTION_LABELS = {"product.approve": _("Product approved"), ...}      # audit actions
    NOTIFICATION_KINDS = {"catalog.review_waiting": _("Product waiting for review")}
    TASK_LABELS = {"catalog: publish scheduled listings": _("Publish scheduled listings")}

(lazy translations; ``TASK_LABELS`` is keyed by the schedule entry's name, as in the
app's ``tasks.SCHEDULE``). The modules are collected the first time a label is
asked for; :func:`register_action_label` / :func:`register_notification_kind` add
one at run time (tests, an app that computes its codes).

Object types (``object_type`` of an audit entry, ``app_label.model_name``) need no
registration: they are labelled with the model's ``verbose_name``.

A code without a label is shown as it is — ``tests/ops/test_audit_labels.py`` fails
for every action the demo writes that has none.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _lazy

_lock = threading.Lock()
_collected = False
_actions: dict[str, Any] = {}
_kinds: dict[str, Any] = {}
_tasks: dict[str, Any] = {}


def _collect() -> None:
    global _collected
    if _collected:
        return
    with _lock:
        if _collected:
            return
        for config in apps.get_app_configs():
            name = f"{config.name}.labels"
            if importlib.util.find_spec(name) is None:
                continue
            module = importlib.import_module(name)
            for target, attribute in (
                (_actions, "ACTION_LABELS"),
                (_kinds, "NOTIFICATION_KINDS"),
                (_tasks, "TASK_LABELS"),
            ):
                for code, label in getattr(module, attribute, {}).items():
                    target.setdefault(code, label)
        _collected = True


def register_action_label(action: str, label) -> None:
    """Label one audit action (``"product.approve"``) — replaces an earlier label."""
    _collect()
    _actions[action] = label


def register_notification_kind(kind: str, label) -> None:
    """Label one staff notification kind (``"catalog.review_waiting"``)."""
    _collect()
    _kinds[kind] = label


def action_label(action: str) -> str:
    """The Chinese label of an audit action, or the code when none is registered."""
    _collect()
    label = _actions.get(action)
    return str(label) if label is not None else action


def action_labels() -> dict[str, Any]:
    """Every registered action label (code → lazy label)."""
    _collect()
    return dict(_actions)


def object_type_label(object_type: str) -> str:
    """``"members.member"`` → the model's verbose name (会员); the code when unknown."""
    if not object_type:
        return ""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)


def notification_kind_label(kind: str) -> str:
    """The Chinese label of a staff notification kind, or the code when none."""
    _collect()
    label = _kinds.get(kind)
    return str(label) if label is not None else kind


def notification_kinds() -> dict[str, Any]:
    _collect()
    return dict(_kinds)


def task_label(name: str) -> str:
    """The Chinese label of a scheduled task by its schedule entry name ("" when none)."""
    _collect()
    label = _tasks.get(name)
    return str(label) if label is not None else ""


_BUILTIN_PERMISSION_ACTIONS = {
    "add": _lazy("Add %(model)s"),
    "change": _lazy("Change %(model)s"),
    "delete": _lazy("Delete %(model)s"),
    "view": _lazy("View %(model)s"),
}


def permission_name(permission) -> str:
    """A ``Permission`` row in the reader's language: "查看 商品" for Django's built-in
    ones (from the model's verbose name), the translated name for the apps' own."""
    from django.utils.translation import gettext

    action, _sep, model_name = permission.codename.partition("_")
    model = permission.content_type.model_class()
    if (
        action in _BUILTIN_PERMISSION_ACTIONS
        and model is not None
        and model._meta.model_name == model_name
    ):
        return str(_BUILTIN_PERMISSION_ACTIONS[action]) % {"model": model._meta.verbose_name}
    return gettext(permission.name)
