"""Reads of ops served to a person: always scoped, always permission-checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from mall.core.exceptions import NotFound
from mall.core.permissions import is_staff_user
from mall.core.scoping import scope_queryset

from .models import ParameterChangeRequest, SlaClock, StaffNotification, SystemParameter
from .parameters import registered_parameters
from .services.parameters import BUSINESS_PERMISSION, TECH_PERMISSION


def sla_clock_list(*, actor) -> QuerySet[SlaClock]:
    """Return the SLA clocks ``actor`` may see (``ops.view_slaclock`` + data scope).

    Scope: by the clock's sales region (``regions`` roles), by its owner (``self``),
    everything for ``all``; clocks without a region are visible to ``all`` scopes and
    their owner only.
    """
    if not actor.has_perm("ops.view_slaclock"):
        return SlaClock.objects.none()
    return scope_queryset(actor, SlaClock.objects.select_related("subject_type", "region", "owner"))


def sla_clock_get(*, actor, pk) -> SlaClock:
    """Return one clock in ``actor``'s scope; ``NotFound`` when missing or out of scope."""
    found = sla_clock_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def sla_board(*, actor) -> list[dict]:
    """Return running clocks per kind: how many, how many overdue, the earliest deadline.

    One grouped query over the actor's scope; overdue = breached or past due now.
    """
    now = timezone.now()
    overdue = Q(status=SlaClock.Status.BREACHED) | Q(due_at__lt=now)
    rows = (
        sla_clock_list(actor=actor)
        .filter(closed_at__isnull=True)
        .order_by()
        .values("kind")
        .annotate(running=Count("id"), overdue=Count("id", filter=overdue), next_due=Min("due_at"))
        .order_by("-overdue", "kind")
    )
    return list(rows)


def parameter_change_request_get(*, actor, pk) -> ParameterChangeRequest:
    """Return one change request ``actor`` may see; ``NotFound`` otherwise."""
    found = parameter_change_request_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


# --- staff inbox --------------------------------------------------------------------


def notification_list(*, actor) -> QuerySet[StaffNotification]:
    """Return ``actor``'s own notifications, newest first.

    The inbox is personal: whatever the actor's roles and data scope (an order-ops
    role scoped to a region has no ``self`` scope, yet must read its own inbox),
    an active staff member sees exactly the rows addressed to them and nobody sees
    anybody else's. Inactive or non-staff users see nothing.
    """
    if not is_staff_user(actor):
        return StaffNotification.objects.none()
    return StaffNotification.objects.filter(recipient_id=actor.pk).order_by("-created_at", "-id")


def notification_get(*, actor, pk) -> StaffNotification:
    """Return one of ``actor``'s own notifications; ``NotFound`` for anybody else's."""
    found = notification_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def notification_unread_count(*, actor) -> int:
    """How many of ``actor``'s notices are unread and still open work (one COUNT).

    A notice whose subject was decided (``resolved_at``) no longer counts, read or not.
    """
    return (
        notification_list(actor=actor)
        .filter(read_at__isnull=True, resolved_at__isnull=True)
        .count()
    )


# --- system parameters ------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterRow:
    key: str
    kind: str
    description: str
    default: Any
    value: Any
    minimum: Any
    maximum: Any
    is_default: bool
    updated_at: datetime | None
    updated_by: str
    pending_request_id: int | None


def parameter_list(*, actor) -> list[ParameterRow]:
    """Return every registered parameter with its current value (two queries).

    Parameters never changed have no ``SystemParameter`` row; they are listed with
    their default. Needs ``ops.view_systemparameter`` (else an empty list).
    """
    if not actor.has_perm("ops.view_systemparameter"):
        return []
    rows = {
        row.key: row
        for row in scope_queryset(actor, SystemParameter.objects.select_related("updated_by"))
    }
    pending = dict(
        ParameterChangeRequest.objects.filter(
            status=ParameterChangeRequest.Status.PENDING
        ).values_list("key", "pk")
    )
    result = []
    for key, spec in registered_parameters().items():
        row = rows.get(key)
        try:
            value = spec.coerce(row.value) if row is not None else spec.default
        except ValueError:  # a stored value the rules no longer accept: show the default
            value = spec.default
        result.append(
            ParameterRow(
                key=key,
                kind=spec.kind,
                description=str(spec.description),
                default=spec.to_json(spec.default),
                value=spec.to_json(value),
                minimum=spec.to_json(spec.minimum) if spec.minimum is not None else None,
                maximum=spec.to_json(spec.maximum) if spec.maximum is not None else None,
                is_default=row is None,
                updated_at=row.updated_at if row else None,
                updated_by=row.updated_by.get_username() if row and row.updated_by else "",
                pending_request_id=pending.get(key),
            )
        )
    return result


def parameter_change_request_list(*, actor) -> QuerySet[ParameterChangeRequest]:
    """Return the change requests ``actor`` may see (function permission), newest first."""
    if not actor.has_perm("ops.view_parameterchangerequest"):
        return ParameterChangeRequest.objects.none()
    return scope_queryset(
        actor,
        ParameterChangeRequest.objects.select_related(
            "requested_by", "business_approver", "tech_approver", "decided_by"
        ),
    ).order_by("-requested_at", "-id")


def parameter_change_requests_awaiting(
    *, actor, queryset: QuerySet | None = None
) -> QuerySet[ParameterChangeRequest]:
    """Narrow ``queryset`` to pending requests that wait for ``actor``'s approval."""
    queryset = queryset if queryset is not None else parameter_change_request_list(actor=actor)
    condition = Q(pk__in=[])
    if actor.has_perm(BUSINESS_PERMISSION):
        condition |= Q(business_approver__isnull=True) & ~Q(tech_approver=actor)
    if actor.has_perm(TECH_PERMISSION):
        condition |= Q(tech_approver__isnull=True) & ~Q(business_approver=actor)
    return queryset.filter(condition, status=ParameterChangeRequest.Status.PENDING).exclude(
        requested_by=actor
    )
