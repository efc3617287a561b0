"""Every write on customer-service tickets (客服工单): create, assign, reply, resolve,
close, reopen, escalate, rate.

Rules (docs/TICKETS.md):

* a ticket belongs to one member; its optional order and after-sales case must be that
  member's (anything else is refused as "no such order of yours", whether it exists or
  not); its sales region is the order's (or the case's), else the member's;
* two SLA clocks start with the ticket (``tickets.first_response``,
  ``tickets.resolution``; complaints run on the shorter complaint parameters): the first
  public staff reply (or a resolution) meets the first one, resolving meets the second,
  closing an unresolved ticket cancels what still runs, reopening starts a new
  resolution clock. A breached clock is escalated by the ops SLA scan like every clock;
* statuses move only through the kernel's ``transition`` and the table in
  ``transitions.py``; a refused step raises before anything is written (no audit entry,
  no message, no clock change);
* every step is audited; members' steps are audited with the member as actor.

Each service locks the ticket row (``SELECT … FOR UPDATE``) and re-checks the state on
the locked row, so two agents pressing "resolve" at once resolve it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.scoping import is_member_actor
from mall.core.transitions import transition, transition_check
from ops.parameters import get_parameter
from ops.services.notifications import (
    notifications_resolve,
    staff_notify,
    staff_notify_holders,
)
from ops.services.sla import sla_clock_start, sla_clock_stop

from .. import permissions as perms
from ..exceptions import (
    TicketHeldByOther,
    TicketInvalid,
    TicketPermissionDenied,
    TicketStateConflict,
)
from ..models import BODY_MAX, SUBJECT_MAX, Ticket, TicketMessage
from ..parameters import AUTO_CLOSE_DAYS, FIRST_RESPONSE, RESOLUTION
from . import transitions  # noqa: F401 - registers the status table

S = Ticket.Status
STAFF_SOURCES = {
    Ticket.Source.PHONE,
    Ticket.Source.CHAT,
    Ticket.Source.EMAIL,
    Ticket.Source.OTHER,
}
LOW_RATING = 2  # 1–2 stars: the supervisor follows up (seed 001 §二(三))
REASON_MAX = 300


# --- helpers (not services) -------------------------------------------------------------


def _require(actor, permission: str) -> None:
    if is_member_actor(actor) or not actor.has_perm(permission):
        raise TicketPermissionDenied()


def _require_member(actor, ticket: Ticket) -> None:
    if not is_member_actor(actor) or ticket.member_id != actor.pk:
        raise TicketPermissionDenied()


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise TicketInvalid(fields={field: [_("This field is required.")]})
    if len(text) > limit:
        raise TicketInvalid(
            fields={field: [_("At most %(n)s characters.") % {"n": limit}]},
        )
    return text


def _link(ticket: Ticket) -> str:
    try:
        return reverse("admin:tickets_ticket_change", args=[ticket.pk])
    except NoReverseMatch:  # pragma: no cover - admin not mounted
        return ""


def _is_complaint(ticket: Ticket) -> bool:
    return ticket.kind == Ticket.Kind.COMPLAINT


def _message(ticket: Ticket, *, author_kind: str, body: str, staff=None, internal=False):
    return TicketMessage.objects.create(
        ticket=ticket,
        author_kind=author_kind,
        staff=staff,
        is_internal=internal,
        body=body,
    )


def _save_or_move(ticket: Ticket, to: str | None, *, actor, action: str, fields: dict, data=None):
    """Move ``ticket`` to ``to`` with ``fields`` (audited by the transition), or, when it
    stays in its status, save ``fields`` and audit ``action`` with before/after."""
    if to is not None and to != ticket.status:
        transition(ticket, to, actor=actor, action=action, data=data, **fields)
        return
    before = {name: _plain(getattr(ticket, _attname(name))) for name in fields}
    for name, value in fields.items():
        setattr(ticket, name, value)
    if fields:
        ticket.save(update_fields=[*fields, "updated_at"])
    after = {name: _plain(getattr(ticket, _attname(name))) for name in fields}
    audit(actor=actor, action=action, target=ticket, before=before, after=after, data=data)


def _attname(name: str) -> str:
    field = Ticket._meta.get_field(name)
    return field.attname


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _order_of_member(member, order, after_sale):
    """Check the links belong to ``member``; return ``(order, after_sale)``."""
    message = _("No order of this member has this number.")
    if order is not None and order.member_id != member.pk:
        raise TicketInvalid(fields={"order_no": [message]})
    if after_sale is not None:
        if after_sale.member_id != member.pk:
            raise TicketInvalid(
                fields={"after_sale_no": [_("No after-sales case of this member has this number.")]}
            )
        if order is None:
            order = after_sale.order
        elif after_sale.order_id != order.pk:
            raise TicketInvalid(
                fields={"after_sale_no": [_("The after-sales case is not about this order.")]}
            )
    return order, after_sale


# --- create --------------------------------------------------------------------------------


def ticket_create(
    *,
    actor,
    member,
    category: str,
    subject: str,
    body: str,
    kind: str = Ticket.Kind.TICKET,
    source: str | None = None,
    priority: str = Ticket.Priority.NORMAL,
    order=None,
    after_sale=None,
) -> Ticket:
    """Open a ticket for ``member``: from the storefront (``actor`` is the member) or
    entered by staff (``actor`` holds ``tickets.add_ticket``; ``source`` phone, chat,
    e-mail or other).

    ``order`` / ``after_sale`` must be the member's (``TicketInvalid`` on
    ``order_no`` / ``after_sale_no`` otherwise, the same words whether the row exists or
    not). Starts the first-response and resolution clocks (complaints: the shorter
    parameters), audits ``tickets.create`` and, for a complaint, tells the agents who
    can see it. Raises ``TicketPermissionDenied``, ``TicketInvalid``.
    """
    if is_member_actor(actor):
        if member.pk != actor.pk:
            raise TicketPermissionDenied()
        source = Ticket.Source.STOREFRONT
        priority = Ticket.Priority.NORMAL
        created_by = None
    else:
        _require(actor, perms.ADD_TICKET)
        source = source or Ticket.Source.PHONE
        if source not in STAFF_SOURCES:
            raise TicketInvalid(fields={"source": [_("Choose how the member contacted you.")]})
        created_by = actor
    if kind not in Ticket.Kind.values:
        raise TicketInvalid(fields={"kind": [_("Not a ticket type.")]})
    if category not in Ticket.Category.values:
        raise TicketInvalid(fields={"category": [_("Not a ticket classification.")]})
    if priority not in Ticket.Priority.values:
        raise TicketInvalid(fields={"priority": [_("Not a priority.")]})
    subject = _text(subject, "subject", SUBJECT_MAX)
    body = _text(body, "body", BODY_MAX)
    order, after_sale = _order_of_member(member, order, after_sale)
    region_id = (
        (order.region_id if order is not None else None)
        or (after_sale.region_id if after_sale is not None else None)
        or member.region_id
    )
    from orders.numbers import unique_number

    with transaction.atomic():
        ticket = unique_number(
            "GD",
            lambda number: Ticket.objects.create(
                ticket_no=number,
                kind=kind,
                category=category,
                source=source,
                priority=priority,
                status=S.OPEN,
                subject=subject,
                body=body,
                member=member,
                order=order,
                after_sale=after_sale,
                region_id=region_id,
                created_by=created_by,
            ),
        )
        audit(
            actor=actor,
            action="tickets.create",
            target=ticket,
            data={
                "kind": kind,
                "category": category,
                "source": source,
                "order_no": order.order_no if order is not None else "",
            },
        )
        complaint = _is_complaint(ticket)
        for clock in (FIRST_RESPONSE, RESOLUTION):
            sla_clock_start(
                actor=actor,
                kind=clock,
                subject=ticket,
                region=region_id,
                started_at=ticket.created_at,
                variant="complaint" if complaint else "",
            )
        if complaint:
            staff_notify_holders(
                actor=actor,
                permission=perms.CHANGE_TICKET,
                kind="tickets.created",
                title=_("New complaint %(no)s: %(category)s")
                % {"no": ticket.ticket_no, "category": ticket.get_category_display()},
                link=_link(ticket),
                dedupe_key=f"tickets.created:{ticket.pk}",
                subject=ticket,
            )
    return ticket


# --- staff steps -----------------------------------------------------------------------------


def ticket_assign(*, actor, ticket: Ticket, assignee=None) -> Ticket:
    """Give ``ticket`` to ``assignee`` (default: ``actor`` — "assign to me").

    Taking a ticket ("assign to me", no ``assignee``) needs ``tickets.change_ticket`` and
    never takes one another agent holds: ``TicketHeldByOther``, 409 — checked on the
    locked row, so of two agents taking one ticket at once the second is refused, whatever
    their permissions. Handing a ticket to somebody (``assignee`` given, oneself included)
    needs ``tickets.assign_ticket`` too, and may move a held ticket (a supervisor's
    hand-over). The assignee must be active
    staff holding ``tickets.change_ticket`` who can see the ticket (``TicketInvalid`` on
    ``assignee`` otherwise). A new ticket becomes "assigned"; a ticket in hand keeps its status.
    Resolved and closed tickets are refused (409). Audited ``tickets.assign``; the new
    assignee (when not ``actor``) is notified.
    """
    _require(actor, perms.CHANGE_TICKET)
    taking = assignee is None  # "assign to me": never takes a ticket from somebody else
    assignee = assignee or actor
    if assignee.pk != actor.pk:
        _require(actor, perms.ASSIGN_TICKET)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status in (S.RESOLVED, S.CLOSED):
            transition_check(ticket, S.ASSIGNED)  # raises InvalidTransition (409)
        if ticket.assignee_id not in (None, assignee.pk) and (
            taking or not actor.has_perm(perms.ASSIGN_TICKET)
        ):
            raise TicketHeldByOther()
        if not perms.can_handle(assignee, ticket):
            raise TicketInvalid(fields={"assignee": [_("This person cannot handle this ticket.")]})
        to = S.ASSIGNED if ticket.status == S.OPEN else None
        _save_or_move(
            ticket,
            to,
            actor=actor,
            action="tickets.assign",
            fields={"assignee": assignee},
            data={"assignee": assignee.pk},
        )
        if assignee.pk != actor.pk:
            staff_notify(
                actor=actor,
                recipients=[assignee],
                kind="tickets.assigned",
                title=_("Ticket %(no)s was assigned to you") % {"no": ticket.ticket_no},
                link=_link(ticket),
                dedupe_key=f"tickets.assigned:{ticket.pk}:{assignee.pk}",
                subject=ticket,
            )
    return ticket


def ticket_reply(
    *,
    actor,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    await_member: bool = True,
) -> TicketMessage:
    """Add a staff message to ``ticket``: a reply the member sees, or an internal note.

    A reply is the first response when none was given (the first-response clock is
    met), makes ``actor`` the assignee of an unassigned ticket and moves the ticket to
    "waiting for member" (``await_member``) or "in progress". An internal note changes
    nothing else. Replies to resolved or closed tickets are refused (409: reopen a
    resolved ticket first); notes to closed ones too. Audited ``tickets.staff_reply`` /
    ``tickets.internal_note``.
    """
    _require(actor, perms.CHANGE_TICKET)
    body = _text(body, "body", BODY_MAX)
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        if internal:
            if ticket.status == S.CLOSED:
                transition_check(ticket, S.IN_PROGRESS)  # raises (409)
            message = _message(ticket, author_kind="staff", body=body, staff=actor, internal=True)
            audit(
                actor=actor,
                action="tickets.internal_note",
                target=ticket,
                data={"message": message.pk},
            )
            return message
        to = S.WAITING_MEMBER if await_member else S.IN_PROGRESS
        if ticket.status != to:
            transition_check(ticket, to)  # resolved and closed refuse (409)
        message = _message(ticket, author_kind="staff", body=body, staff=actor)
        fields: dict = {}
        if ticket.first_response_at is None:
            fields["first_response_at"] = now
        if ticket.assignee_id is None:
            fields["assignee"] = actor
        _save_or_move(
            ticket,
            to,
            actor=actor,
            action="tickets.staff_reply",
            fields=fields,
            data={"message": message.pk},
        )
        if "first_response_at" in fields:
            sla_clock_stop(actor=actor, kind=FIRST_RESPONSE, subject=ticket, outcome="met", at=now)
    return message


def ticket_resolve(*, actor, ticket: Ticket, resolution: str) -> Ticket:
    """Resolve ``ticket`` with ``resolution`` (shown to the member as a reply).

    Meets the resolution clock (and the first-response clock when nobody had answered
    yet); ``actor`` becomes the assignee of an unassigned ticket; open escalation
    notices about the ticket are resolved. Refused (409) once resolved or closed.
    Audited by the transition as ``tickets.resolve``.
    """
    _require(actor, perms.CHANGE_TICKET)
    resolution = _text(resolution, "resolution", BODY_MAX)
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        transition_check(ticket, S.RESOLVED)
        message = _message(ticket, author_kind="staff", body=resolution, staff=actor)
        fields: dict = {"resolution": resolution, "resolved_at": now}
        answered_now = ticket.first_response_at is None
        if answered_now:
            fields["first_response_at"] = now
        if ticket.assignee_id is None:
            fields["assignee"] = actor
        transition(
            ticket,
            S.RESOLVED,
            actor=actor,
            action="tickets.resolve",
            data={"message": message.pk},
            **fields,
        )
        if answered_now:
            sla_clock_stop(actor=actor, kind=FIRST_RESPONSE, subject=ticket, outcome="met", at=now)
        sla_clock_stop(actor=actor, kind=RESOLUTION, subject=ticket, outcome="met", at=now)
        notifications_resolve(actor=actor, subject=ticket)
    return ticket


def ticket_reopen(*, actor, ticket: Ticket, reason: str) -> Ticket:
    """Reopen a resolved ticket (the problem is not solved): back in progress, a new
    resolution clock starts. 409 unless resolved. Audited ``tickets.reopen``."""
    _require(actor, perms.CHANGE_TICKET)
    reason = _text(reason, "reason", REASON_MAX)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status != S.RESOLVED:
            raise TicketStateConflict(_("Only a resolved ticket can be reopened."))
        _reopen(actor, ticket, reason=reason)
    return ticket


def _reopen(actor, ticket: Ticket, *, reason: str, data: dict | None = None) -> None:
    transition(
        ticket,
        S.IN_PROGRESS,
        actor=actor,
        action="tickets.reopen",
        reason=reason,
        data=data,
        reopened_count=ticket.reopened_count + 1,
        resolved_at=None,
    )
    sla_clock_start(
        actor=actor,
        kind=RESOLUTION,
        subject=ticket,
        region=ticket.region_id,
        variant="complaint" if _is_complaint(ticket) else "",
    )


def _close(actor, ticket: Ticket, *, action: str, reason: str, now: datetime) -> None:
    transition(
        ticket,
        S.CLOSED,
        actor=actor,
        action=action,
        reason=reason,
        closed_at=now,
        close_reason=reason,
    )
    for clock in (FIRST_RESPONSE, RESOLUTION):
        sla_clock_stop(actor=actor, kind=clock, subject=ticket, outcome="cancelled", at=now)
    notifications_resolve(actor=actor, subject=ticket)


def ticket_close(*, actor, ticket: Ticket, reason: str = "") -> Ticket:
    """Close ``ticket``. A resolved ticket closes as it is; closing one that was never
    resolved (a duplicate, spam, the member withdrew) needs a ``reason`` and cancels the
    clocks still running. Refused (409) once closed. Audited ``tickets.close``."""
    _require(actor, perms.CHANGE_TICKET)
    reason = _text(reason, "reason", REASON_MAX, required=False)
    with transaction.atomic():
        ticket = _locked(ticket)
        transition_check(ticket, S.CLOSED)
        if ticket.status != S.RESOLVED and not reason:
            raise TicketInvalid(
                fields={"reason": [_("Say why a ticket that was not resolved is closed.")]}
            )
        _close(actor, ticket, action="tickets.close", reason=reason, now=timezone.now())
    return ticket


def ticket_escalate(*, actor, ticket: Ticket, reason: str) -> Ticket:
    """Escalate ``ticket`` to the supervisors (holders of ``tickets.supervise_ticket``
    who can see it; demo: the ops lead), with a reason. Once per ticket (409 when already
    escalated), not on closed tickets (409). Raises the priority to at least "high". The
    notice names only the ticket number (the reason stays on the ticket and its audit).
    Audited ``tickets.escalate``. (A breached SLA clock is escalated by the ops SLA scan
    on its own; docs/TICKETS.md.)"""
    _require(actor, perms.ESCALATE_TICKET)
    reason = _text(reason, "reason", REASON_MAX)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == S.CLOSED:
            transition_check(ticket, S.IN_PROGRESS)  # raises (409)
        if ticket.escalated_at is not None:
            raise TicketStateConflict(_("This ticket has already been escalated."))
        fields = {
            "escalated_at": timezone.now(),
            "escalated_by": actor,
            "escalation_reason": reason,
        }
        if ticket.priority in (Ticket.Priority.LOW, Ticket.Priority.NORMAL):
            fields["priority"] = Ticket.Priority.HIGH
        _save_or_move(
            ticket, None, actor=actor, action="tickets.escalate", fields=fields, data=None
        )
        staff_notify_holders(
            actor=actor,
            permission=perms.SUPERVISE_TICKET,
            kind="tickets.escalated",
            # A fixed title: the free-text reason may name people; it stays on the
            # ticket (and in the audit), which the link opens for those in scope.
            title=_("Ticket %(no)s was escalated") % {"no": ticket.ticket_no},
            link=_link(ticket),
            dedupe_key=f"tickets.escalated:{ticket.pk}",
            subject=ticket,
            exclude=actor.pk,
        )
    return ticket


# --- the member's steps ----------------------------------------------------------------------


def ticket_member_reply(*, actor, ticket: Ticket, body: str) -> TicketMessage:
    """Add the member's reply to their own ``ticket``.

    A ticket waiting for the member goes back in progress; a resolved one is reopened
    (a new resolution clock starts). Closed tickets refuse replies (409). Audited
    ``tickets.member_reply`` (and ``tickets.reopen``); the assignee is notified.
    """
    _require_member(actor, ticket)
    body = _text(body, "body", BODY_MAX)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == S.CLOSED:
            transition_check(ticket, S.IN_PROGRESS)  # raises (409)
        message = _message(ticket, author_kind="member", body=body)
        if ticket.status == S.WAITING_MEMBER:
            transition(
                ticket,
                S.IN_PROGRESS,
                actor=actor,
                action="tickets.member_reply",
                data={"message": message.pk},
            )
        else:
            if ticket.status == S.RESOLVED:
                _reopen(actor, ticket, reason="", data={"message": message.pk})
            audit(
                actor=actor,
                action="tickets.member_reply",
                target=ticket,
                data={"message": message.pk},
            )
        if ticket.assignee_id:
            staff_notify(
                actor=actor,
                recipients=[ticket.assignee_id],
                kind="tickets.member_replied",
                title=_("The member replied to ticket %(no)s") % {"no": ticket.ticket_no},
                link=_link(ticket),
                dedupe_key=f"tickets.member_replied:{ticket.pk}:{message.pk}",
                subject=ticket,
            )
    return message


def ticket_rate(*, actor, ticket: Ticket, rating: int, comment: str = "") -> Ticket:
    """Record the member's satisfaction (1–5 stars and a comment) on their closed ticket.

    Once per ticket, only after closing (409 otherwise); a rating outside 1–5 is 400.
    A low rating (1–2 stars) is sent to the supervisors to follow up. Audited
    ``tickets.rate``.
    """
    _require_member(actor, ticket)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise TicketInvalid(fields={"rating": [_("Give 1 to 5 stars.")]})
    comment = _text(comment, "comment", 500, required=False)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status != S.CLOSED:
            raise TicketStateConflict(_("A ticket can be rated once it is closed."))
        if ticket.rating is not None:
            raise TicketStateConflict(_("This ticket has already been rated."))
        _save_or_move(
            ticket,
            None,
            actor=actor,
            action="tickets.rate",
            fields={"rating": rating, "rating_comment": comment, "rated_at": timezone.now()},
        )
        if rating <= LOW_RATING:
            staff_notify_holders(
                actor=actor,
                permission=perms.SUPERVISE_TICKET,
                kind="tickets.low_rating",
                title=_("Ticket %(no)s was rated %(stars)s stars")
                % {"no": ticket.ticket_no, "stars": rating},
                body=comment,
                link=_link(ticket),
                dedupe_key=f"tickets.low_rating:{ticket.pk}",
                subject=ticket,
            )
    return ticket


# --- jobs ------------------------------------------------------------------------------------


def tickets_auto_close(*, actor, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close resolved tickets the member left unanswered for ``tickets.auto_close_days``.

    Idempotent (a closed ticket is left alone; rows are taken with ``SKIP LOCKED``).
    Audited ``tickets.auto_close`` per ticket. Returns how many were closed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(get_parameter(AUTO_CLOSE_DAYS)))
    closed = 0
    while True:
        with transaction.atomic():
            rows = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=S.RESOLVED, resolved_at__lt=cutoff)
                .order_by("pk")[:batch_size]
            )
            for ticket in rows:
                _close(actor, ticket, action="tickets.auto_close", reason="", now=now)
            closed += len(rows)
        if len(rows) < batch_size:
            return closed
