"""Selectors of the test-only app: every read starts from the kernel's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from mall.core.scoping import scope_queryset

from .models import RegionOnlyTicket, Ticket


def ticket_list(*, actor) -> QuerySet[Ticket]:
    """Tickets ``actor`` may see, with their region."""
    return scope_queryset(actor, Ticket.objects.select_related("region"))


def region_only_ticket_list(*, actor) -> QuerySet[RegionOnlyTicket]:
    """Region-scoped tickets ``actor`` may see."""
    return scope_queryset(actor, RegionOnlyTicket.objects.all())
