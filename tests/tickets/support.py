"""Helpers of the customer-service tests: clocks and audit entries of a ticket."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType


def clocks(ticket, kind: str | None = None) -> list:
    from ops.models import SlaClock
    from ops.tickets.models import Ticket

    rows = SlaClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(Ticket), subject_id=str(ticket.pk)
    )
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("id"))


def audit_actions(ticket) -> list[str]:
    from ops.models import AuditEntry

    return list(
        AuditEntry.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
