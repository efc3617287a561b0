"""The one way any status changes: a declared table and :func:`transition`.

Each app declares the allowed moves of each status field once, beside its
services (STYLE.md "State machines")::

    ORDER_TRANSITIONS = register_transitions(
        Order,
        {
            Order.Status.PENDING_PAYMENT: {Order.Status.PAID, Order.Status.CANCELLED},
            Order.Status.PAID: {Order.Status.SHIPPED, Order.Status.REFUNDING},
            ...
        },
    )

and a service, after checking its own rules, moves a row with::

    transition(order, Order.Status.CANCELLED, actor=actor, action="order.cancel",
               reason=reason, cancelled_at=now)

which refuses a move the table does not allow (``InvalidTransition``, 409, with
both statuses' labels), sets the status and the other ``changes``, saves them with
``update_fields`` (plus ``updated_at`` when the model has it) and writes the audit
entry (before/after of every changed field, the reason and ``data``) in the
caller's transaction. A service whose own event table records more (catalog's
``ProductEvent``) writes that row after the call.

For a race-safe move of many rows — "close every running clock of this subject",
"claim this request if it is still pending" — :func:`transition_update` runs one
conditional ``UPDATE … WHERE status IN (<states that may go to to>)`` and returns
the number of rows moved; the caller audits what it moved.

Status fields are assigned nowhere else: ``tests/core/test_transition_scan.py``
reads the code of every app and fails on any other assignment of a declared field.
A new row's initial status is not a transition: ``Model(status=INITIAL)`` /
``create(status=INITIAL)`` is how a row starts (the table names the initial states,
``StateMachine.initial``, and the scan checks creates use one of them where it can
tell).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status as http_status

from .audit import audit, jsonable
from .exceptions import ApplicationError


class InvalidTransition(ApplicationError):
    """The row's current status does not allow the requested move."""

    code = "invalid_transition"
    status_code = http_status.HTTP_409_CONFLICT
    default_message = gettext_lazy("This change is not allowed in the current status.")


@dataclass(frozen=True)
class StateMachine:
    """The allowed moves of one status field of one model."""

    model: type[models.Model]
    field: str
    moves: Mapping[str, frozenset[str]]
    initial: frozenset[str] = field(default_factory=frozenset)

    def allows(self, current: str, to: str) -> bool:
        return to in self.moves.get(current, frozenset())

    def sources(self, to: str) -> frozenset[str]:
        """Every status from which ``to`` may be reached."""
        return frozenset(source for source, targets in self.moves.items() if to in targets)

    def label(self, value: str) -> str:
        choices = dict(self.model._meta.get_field(self.field).flatchoices)
        return str(choices.get(value, value))


_machines: dict[tuple[type[models.Model], str], StateMachine] = {}


def register_transitions(
    model: type[models.Model],
    moves: Mapping[str, Iterable[str]],
    *,
    field: str = "status",
    initial: Iterable[str] | None = None,
) -> StateMachine:
    """Declare the allowed moves of ``model.<field>`` (every status must be a key).

    ``initial`` names the statuses a new row may start in (default: the field's
    default). Raises ``ValueError`` for a status the field's choices do not know.
    """
    choices = {value for value, _label in model._meta.get_field(field).flatchoices}
    table = {str(source): frozenset(str(t) for t in targets) for source, targets in moves.items()}
    unknown = (set(table) | {t for targets in table.values() for t in targets}) - choices
    if choices and unknown:
        raise ValueError(f"{model.__name__}.{field}: unknown statuses {sorted(unknown)}")
    missing = choices - set(table)
    if choices and missing:
        raise ValueError(f"{model.__name__}.{field}: no row for statuses {sorted(missing)}")
    if initial is None:
        default = model._meta.get_field(field).default
        initial = [default] if isinstance(default, str) else []
    machine = StateMachine(model, field, table, frozenset(str(s) for s in initial))
    _machines[(model, field)] = machine
    return machine


def state_machine(model: type[models.Model], field: str = "status") -> StateMachine:
    model = model._meta.concrete_model or model
    try:
        return _machines[(model, field)]
    except KeyError:
        raise LookupError(f"no transitions registered for {model.__name__}.{field}") from None


def registered_state_machines() -> list[StateMachine]:
    return list(_machines.values())


def transition_check(instance: models.Model, to: str, *, field: str = "status") -> None:
    """Raise :class:`InvalidTransition` unless ``instance`` may move to ``to``."""
    machine = state_machine(type(instance), field)
    current = getattr(instance, field)
    if not machine.allows(current, to):
        raise InvalidTransition(
            _("%(model)s cannot go from “%(from)s” to “%(to)s”.")
            % {
                "model": instance._meta.verbose_name,
                "from": machine.label(current),
                "to": machine.label(to),
            },
            extra={"from_status": current, "to_status": str(to)},
        )


def transition(
    instance: models.Model,
    to: str,
    *,
    actor,
    action: str,
    field: str = "status",
    reason: str = "",
    data: dict[str, Any] | None = None,
    save: bool = True,
    **changes: Any,
) -> None:
    """Move ``instance`` to ``to`` with ``changes``; save and audit in the caller's atomic block.

    ``action`` names the audit entry (``order.cancel``). ``save=False`` only sets
    the fields (the caller saves many rows in one ``bulk_update``); the audit entry is
    written either way. Raises :class:`InvalidTransition` for a move the table refuses.
    """
    transition_check(instance, to, field=field)
    names = [field, *changes]
    before = {name: jsonable(getattr(instance, _attname(instance, name))) for name in names}
    setattr(instance, field, to)
    for name, value in changes.items():
        setattr(instance, name, value)
    if save:
        fields = list(dict.fromkeys(names))
        if "updated_at" not in fields and _has_field(instance, "updated_at"):
            instance.updated_at = timezone.now()
            fields.append("updated_at")
        instance.save(update_fields=fields)
    after = {name: jsonable(getattr(instance, _attname(instance, name))) for name in names}
    details = dict(data or {})
    if reason:
        details["reason"] = reason
    audit(
        actor=actor,
        action=action,
        target=instance,
        before=before,
        after=after,
        data=details or None,
    )


def transition_update(queryset: QuerySet, to: str, *, field: str = "status", **changes: Any) -> int:
    """Move every row of ``queryset`` whose status may go to ``to``; return how many moved.

    One conditional ``UPDATE``: rows in another status are left alone, so two
    concurrent callers cannot both move the same row. The caller audits.
    """
    machine = state_machine(queryset.model, field)
    sources = machine.sources(to)
    if not sources:
        return 0
    values = {field: to, **changes}
    if "updated_at" not in values and _has_field(queryset.model, "updated_at"):
        values["updated_at"] = timezone.now()
    return queryset.filter(**{f"{field}__in": sorted(sources)}).update(**values)


def _has_field(model_or_instance, name: str) -> bool:
    return any(f.name == name for f in model_or_instance._meta.concrete_fields)


def _attname(instance: models.Model, name: str) -> str:
    try:
        return instance._meta.get_field(name).attname
    except FieldDoesNotExist:  # a plain attribute keeps its own name
        return name
