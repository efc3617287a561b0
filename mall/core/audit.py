"""The audit hook every service calls: ``audit(actor=…, action=…, target=…)``.

The audit log itself (``ops.AuditEntry``: append-only, hash-chained) lives in
``ops``, which sits to the right of ``rbac`` in the dependency order; so the
kernel holds the call point and ``ops`` registers the recorder in its
``AppConfig.ready()``. Without a recorder, auditing fails loudly instead of
silently dropping entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

Recorder = Callable[..., Any]
_recorder: Recorder | None = None


def register_recorder(recorder: Recorder) -> None:
    global _recorder
    _recorder = recorder


def audit(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict | None = None,
    after: dict | None = None,
    data: dict | None = None,
):
    """Record one audit entry in the caller's transaction and return it.

    ``action`` is a dotted verb (``order.cancel``, ``auth.login_failed``).
    ``target`` fills ``object_type``/``object_id`` from a model instance.
    ``before``/``after`` are plain dicts (see :func:`snapshot`); only keys whose
    values differ are kept as the diff.
    """
    if _recorder is None:
        raise ImproperlyConfigured("no audit recorder registered (is 'ops' installed?)")
    before, after, data = conceal_personal(before), conceal_personal(after), conceal_personal(data)
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk
    return _recorder(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id not in (None, "") else "",
        before=before,
        after=after,
        data=data,
    )


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# Keys whose values are personal data: the audit log keeps a keyed hash of them, never
# the value (docs/SECURITY.md). The same value gives the same hash, so a diff still
# shows that a phone changed and an auditor can still ask "was this number searched?"
# by hashing it; the log alone gives the number to nobody.
PERSONAL_KEYS = frozenset(
    {"phone", "mobile", "id_number", "recipient", "first_name", "last_name", "email"}
)


def conceal(value):
    """``value`` as the audit log may keep it: ``hmac:<16 hex>``, keyed by SECRET_KEY."""
    if value in (None, ""):
        return value
    from django.utils.crypto import salted_hmac

    return "hmac:" + salted_hmac("mall.audit.personal", str(value)).hexdigest()[:16]


def conceal_personal(values: dict | None) -> dict | None:
    """``values`` with each top-level personal key (:data:`PERSONAL_KEYS`) concealed."""
    if not values:
        return values
    return {k: conceal(v) if k in PERSONAL_KEYS else v for k, v in values.items()}


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """Return ``{field: value}`` of concrete fields (FKs by id), JSON-safe."""
    names = fields or [f.attname for f in instance._meta.concrete_fields if not f.primary_key]
    return {name: jsonable(getattr(instance, name)) for name in names}


def diff(before: dict | None, after: dict | None) -> tuple[dict, dict]:
    """Keep only keys whose values changed between ``before`` and ``after``."""
    before = before or {}
    after = after or {}
    keys = set(before) | set(after)
    changed = sorted(k for k in keys if before.get(k) != after.get(k))
    return (
        {k: before.get(k) for k in changed if k in before},
        {k: after.get(k) for k in changed if k in after},
    )
