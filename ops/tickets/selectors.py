"""Every read of customer service served to a person (or a job); always scoped.

* a **member** sees only their own tickets and only the public part of the thread;
* a **staff user** sees the tickets of their data scope: a ticket belongs to the sales
  region of its linked order (else of the member) — customer service (scope "all")
  sees every ticket, a regional ops user their region's, a ticket with no region only
  scope "all"; ``self`` scopes see the tickets assigned to them;
* the **system actor** (jobs) sees every row.

``ticket_get*`` raise ``TicketNotFound`` for a missing ticket, one outside the scope and
a malformed number alike. The analysis (:func:`ticket_analysis`) counts only the reader's
tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from mall.core.api import parse_pk
from mall.core.scoping import is_member_actor, visible_rows

from .exceptions import TicketNotFound
from .models import Ticket, TicketMessage
from .parameters import FIRST_RESPONSE, RESOLUTION

NUMBER_MAX = 24
OPEN_STATUSES = (
    Ticket.Status.OPEN,
    Ticket.Status.ASSIGNED,
    Ticket.Status.IN_PROGRESS,
    Ticket.Status.WAITING_MEMBER,
)


def _visible(actor, queryset: QuerySet) -> QuerySet:
    return visible_rows(actor, queryset, member_path="member")


def _clocks(kind: str):
    from ops.models import SlaClock

    return SlaClock.objects.filter(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(Ticket),
        subject_id=Cast(OuterRef("pk"), CharField()),
    )


def _with_sla(queryset: QuerySet) -> QuerySet:
    """Annotate each ticket with its SLA state: the due time of the running first-response
    and resolution clocks (``first_response_due``, ``resolution_due``) and whether any of
    its clocks was breached (``sla_breached``) or escalated by the SLA scan
    (``sla_escalated``)."""
    from ops.models import SlaClock

    running = {"closed_at__isnull": True}
    return queryset.annotate(
        first_response_due=Subquery(
            _clocks(FIRST_RESPONSE).filter(**running).order_by("-id").values("due_at")[:1]
        ),
        resolution_due=Subquery(
            _clocks(RESOLUTION).filter(**running).order_by("-id").values("due_at")[:1]
        ),
        sla_breached=Exists(_clocks(FIRST_RESPONSE).filter(status=SlaClock.Status.BREACHED))
        | Exists(_clocks(RESOLUTION).filter(status=SlaClock.Status.BREACHED)),
        sla_escalated=Exists(_clocks(FIRST_RESPONSE).filter(escalated_at__isnull=False))
        | Exists(_clocks(RESOLUTION).filter(escalated_at__isnull=False)),
    )


# --- tickets ---------------------------------------------------------------------------


def ticket_list(*, actor) -> QuerySet[Ticket]:
    """Tickets ``actor`` may see (a member: their own), newest first."""
    return _visible(
        actor,
        Ticket.objects.select_related(
            "member", "order", "after_sale", "region", "assignee", "escalated_by"
        ),
    ).order_by("-id")


def ticket_list_with_sla(*, actor) -> QuerySet[Ticket]:
    """Tickets ``actor`` may see, each with its SLA state (``first_response_due``,
    ``resolution_due``, ``sla_breached``, ``sla_escalated``): the staff list and queue."""
    return _with_sla(ticket_list(actor=actor))


def ticket_get(*, actor, ticket_no: str) -> Ticket:
    """One ticket by number that ``actor`` may see; ``TicketNotFound`` (404) otherwise."""
    number = str(ticket_no or "").strip()
    row = (
        ticket_list(actor=actor).filter(ticket_no=number).first()
        if number and len(number) <= NUMBER_MAX
        else None
    )
    if row is None:
        raise TicketNotFound()
    return row


def ticket_get_by_pk(*, actor, pk) -> Ticket:
    """One ticket by database id (admin URLs); ``TicketNotFound`` otherwise."""
    number = parse_pk(pk)
    row = ticket_list(actor=actor).filter(pk=number).first() if number else None
    if row is None:
        raise TicketNotFound()
    return row


def ticket_agents(*, actor, ticket: Ticket) -> QuerySet:
    """The staff ``ticket`` can be handed to (the assign dropdown): active staff holding
    ``tickets.change_ticket`` (directly or by role) whose data scope includes it.

    ``ticket`` was read through a ticket selector for ``actor``; by username."""
    from django.contrib.auth import get_user_model

    from . import permissions as perms

    holders = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(
                user_permissions__codename="change_ticket",
                user_permissions__content_type__app_label="tickets",
            )
            | Q(
                groups__permissions__codename="change_ticket",
                groups__permissions__content_type__app_label="tickets",
            )
        )
        .distinct()
        .order_by("username")
    )
    keep = [user.pk for user in holders if perms.can_handle(user, ticket)]
    return holders.filter(pk__in=keep)


def ticket_messages(*, actor, ticket: Ticket) -> QuerySet[TicketMessage]:
    """The thread of ``ticket`` (already read through a ticket selector), oldest first.

    A member never sees internal notes; staff see the whole thread.
    """
    rows = TicketMessage.objects.filter(ticket=ticket).select_related("staff").order_by("id")
    if is_member_actor(actor):
        if ticket.member_id != actor.pk:
            return rows.none()
        return rows.filter(is_internal=False)
    return rows


def tickets_unassigned(*, actor) -> QuerySet[Ticket]:
    """New tickets nobody took yet, in ``actor``'s scope."""
    return ticket_list(actor=actor).filter(status=Ticket.Status.OPEN, assignee__isnull=True)


def tickets_mine_open(*, actor) -> QuerySet[Ticket]:
    """Tickets assigned to ``actor`` that are not resolved or closed."""
    return ticket_list(actor=actor).filter(assignee=actor, status__in=OPEN_STATUSES)


def tickets_first_response_late(*, actor, now: datetime | None = None) -> QuerySet[Ticket]:
    """Tickets in scope still waiting for a first reply past the deadline."""
    late = _clocks(FIRST_RESPONSE).filter(closed_at__isnull=True, due_at__lt=now or timezone.now())
    return ticket_list(actor=actor).filter(Exists(late))


def complaints_open(*, actor) -> QuerySet[Ticket]:
    """Complaints in scope that are not resolved or closed."""
    return ticket_list(actor=actor).filter(kind=Ticket.Kind.COMPLAINT, status__in=OPEN_STATUSES)


def ticket_member_list(*, actor, member) -> QuerySet[Ticket]:
    """``member``'s tickets that ``actor`` may see (the member 360° page)."""
    return ticket_list(actor=actor).filter(member=member)


# --- analysis ----------------------------------------------------------------------------

PERIODS = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class Analysis:
    since: datetime
    until: datetime
    by_category: list[dict]  # {"category", "tickets", "complaints"}
    by_period: list[dict]  # {"period": date, "tickets", "complaints"}
    rated: int
    average_rating: float | None
    sla: dict  # kind → {"met", "breached", "met_percent"}


def ticket_analysis(
    *,
    actor,
    days: int = 30,
    period: str = "week",
    now: datetime | None = None,
) -> Analysis:
    """Count ``actor``'s tickets of the last ``days`` days by classification and by
    ``period`` (day, week, month), with the average satisfaction of the rated ones and the
    share of SLA clocks met (closed clocks of those tickets: met vs. breached).

    Everything is computed over :func:`ticket_list` (the reader's scope), so a figure
    never counts a ticket the reader could not open.
    """
    from ops.models import SlaClock

    until = now or timezone.now()
    since = until - timedelta(days=days)
    rows = ticket_list(actor=actor).filter(created_at__gte=since, created_at__lt=until)
    complaint = Q(kind=Ticket.Kind.COMPLAINT)
    by_category = list(
        rows.order_by()
        .values("category")
        .annotate(tickets=Count("id"), complaints=Count("id", filter=complaint))
        .order_by("category")
    )
    trunc = PERIODS.get(period, TruncWeek)
    by_period = [
        {**row, "period": row["period"].date() if hasattr(row["period"], "date") else row["period"]}
        for row in rows.order_by()
        .annotate(period=trunc("created_at", tzinfo=timezone.get_current_timezone()))
        .values("period")
        .annotate(tickets=Count("id"), complaints=Count("id", filter=complaint))
        .order_by("period")
    ]
    rating = rows.filter(rating__isnull=False).aggregate(n=Count("id"), avg=Avg("rating"))
    ids = rows.order_by().values("pk")
    sla = {}
    clocks = SlaClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(Ticket),
        subject_id__in=Subquery(ids.annotate(text=Cast("pk", CharField())).values("text")),
    )
    for kind in (FIRST_RESPONSE, RESOLUTION):
        counts = clocks.filter(kind=kind).aggregate(
            met=Count("id", filter=Q(status=SlaClock.Status.MET)),
            breached=Count("id", filter=Q(status=SlaClock.Status.BREACHED)),
        )
        decided = counts["met"] + counts["breached"]
        sla[kind] = {
            **counts,
            "met_percent": round(100 * counts["met"] / decided, 1) if decided else None,
        }
    average = rating["avg"]
    return Analysis(
        since=since,
        until=until,
        by_category=by_category,
        by_period=by_period,
        rated=rating["n"],
        average_rating=round(float(average), 2) if average is not None else None,
        sla=sla,
    )
