"""The allowed status changes of dispatch's rows and the one helper that makes them.

Status fields are assigned nowhere else (STYLE.md "State machines"): a service
checks its own preconditions, then calls :func:`transition`, which refuses a move
the table does not allow and saves the status with the other changed fields.
The service's audit entry (before/after status) is the event record.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import InvalidStateTransition
from ..models import (
    Allocation,
    PurchaseInbound,
    Shipment,
    StockSnapshot,
    StockSnapshotLine,
    Transfer,
)

_A, _S = Allocation.Status, Shipment.Status
_Snap, _Line = StockSnapshot.Status, StockSnapshotLine.Status

ALLOWED_TRANSITIONS: dict[type[models.Model], dict[str, frozenset[str]]] = {
    Allocation: {
        _A.ALLOCATED: frozenset({_A.SHIPPED, _A.RELEASED}),
        _A.SHIPPED: frozenset(),
        _A.RELEASED: frozenset(),
    },
    Shipment: {
        _S.PENDING: frozenset({_S.SHIPPED, _S.CANCELLED}),
        _S.SHIPPED: frozenset({_S.DELIVERED}),
        _S.DELIVERED: frozenset(),
        _S.CANCELLED: frozenset(),
    },
    PurchaseInbound: {
        PurchaseInbound.Status.IN_TRANSIT: frozenset({PurchaseInbound.Status.ARRIVED}),
        PurchaseInbound.Status.ARRIVED: frozenset(),
    },
    Transfer: {
        Transfer.Status.SHIPPED: frozenset({Transfer.Status.RECEIVED}),
        Transfer.Status.RECEIVED: frozenset(),
    },
    StockSnapshot: {
        _Snap.PENDING: frozenset({_Snap.RECONCILED, _Snap.NEEDS_REVIEW}),
        _Snap.NEEDS_REVIEW: frozenset({_Snap.RECONCILED}),
        _Snap.RECONCILED: frozenset(),
    },
    StockSnapshotLine: {
        _Line.PENDING: frozenset({_Line.MATCHED, _Line.ADJUSTED, _Line.NEEDS_REVIEW}),
        _Line.NEEDS_REVIEW: frozenset({_Line.ACCEPTED, _Line.REJECTED}),
        _Line.MATCHED: frozenset(),
        _Line.ADJUSTED: frozenset(),
        _Line.ACCEPTED: frozenset(),
        _Line.REJECTED: frozenset(),
    },
}


def transition_check(instance: models.Model, to: str) -> None:
    """Raise ``InvalidStateTransition`` unless ``instance`` may move to status ``to``."""
    allowed = ALLOWED_TRANSITIONS[type(instance)].get(instance.status, frozenset())
    if to not in allowed:
        labels = dict(type(instance).Status.choices)
        raise InvalidStateTransition(
            _("%(model)s cannot go from “%(from)s” to “%(to)s”.")
            % {
                "model": instance._meta.verbose_name,
                "from": labels.get(instance.status, instance.status),
                "to": labels.get(to, to),
            }
        )


def transition(instance: models.Model, to: str, *, save: bool = True, **changes) -> None:
    """Move ``instance`` to status ``to`` with ``changes``; save them with ``update_fields``.

    ``save=False`` only sets the fields (for rows the caller saves in one
    ``bulk_update``). Raises ``InvalidStateTransition`` for a move the table refuses.
    """
    transition_check(instance, to)
    instance.status = to
    for name, value in changes.items():
        setattr(instance, name, value)
    if not save:
        return
    fields = ["status", *changes]
    if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
        instance.updated_at = timezone.now()
        fields.append("updated_at")
    instance.save(update_fields=fields)
