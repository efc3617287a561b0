"""Ticket SLA clocks: opened with the ticket (complaints on the shorter parameters), met by
the first reply and the resolution, cancelled by closing, breached and escalated by the
ops SLA scan (not by a scan of our own)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import StaffNotification
from ops.services.sla import sla_scan
from ops.tickets import selectors
from ops.tickets.services import tickets as services

from .support import clocks

pytestmark = pytest.mark.django_db

FIRST = "tickets.first_response"
RESOLUTION = "tickets.resolution"


def test_a_ticket_starts_both_clocks_on_the_ticket_parameters(open_ticket):
    ticket = open_ticket(order=None)
    first, resolution = clocks(ticket, FIRST)[0], clocks(ticket, RESOLUTION)[0]

    assert first.due_at - first.started_at == timedelta(hours=4)
    assert resolution.due_at - resolution.started_at == timedelta(hours=48)
    assert first.started_at == ticket.created_at
    assert first.status == resolution.status == "open"


def test_a_complaint_runs_on_the_shorter_complaint_parameters(open_ticket):
    ticket = open_ticket(kind="complaint")
    first, resolution = clocks(ticket, FIRST)[0], clocks(ticket, RESOLUTION)[0]

    assert first.due_at - first.started_at == timedelta(hours=2)
    assert resolution.due_at - resolution.started_at == timedelta(hours=24)


def test_clocks_carry_the_tickets_region_for_the_sla_board(orders_, open_ticket):
    ticket = open_ticket(order=orders_["north"])
    assert {c.region.code for c in clocks(ticket)} == {"north"}


def test_the_first_public_reply_meets_the_first_response_clock(agent, open_ticket):
    ticket = open_ticket()
    services.ticket_reply(actor=agent, ticket=ticket, body="内部", internal=True)
    assert clocks(ticket, FIRST)[0].status == "open"

    services.ticket_reply(actor=agent, ticket=ticket, body="您好")

    assert clocks(ticket, FIRST)[0].status == "met"
    assert clocks(ticket, RESOLUTION)[0].status == "open"


def test_resolving_meets_the_resolution_clock_and_an_unanswered_first_reply(agent, open_ticket):
    ticket = services.ticket_resolve(actor=agent, ticket=open_ticket(), resolution="已处理")

    assert [c.status for c in clocks(ticket)] == ["met", "met"]
    assert ticket.first_response_at is not None


def test_closing_an_unresolved_ticket_cancels_the_clocks_still_running(agent, open_ticket):
    ticket = open_ticket()
    services.ticket_reply(actor=agent, ticket=ticket, body="您好")
    services.ticket_close(actor=agent, ticket=ticket, reason="会员撤回")

    assert [c.status for c in clocks(ticket, FIRST)] == ["met"]
    assert [c.status for c in clocks(ticket, RESOLUTION)] == ["cancelled"]


def test_a_late_first_reply_still_counts_as_breached(agent, open_ticket):
    ticket = open_ticket()
    clock = clocks(ticket, FIRST)[0]
    type(clock).objects.filter(pk=clock.pk).update(
        started_at=timezone.now() - timedelta(hours=5),
        due_at=timezone.now() - timedelta(minutes=1),
    )

    services.ticket_reply(actor=agent, ticket=ticket, body="抱歉久等")

    late = clocks(ticket, FIRST)[0]
    assert late.status == "breached"
    assert late.closed_outcome == "met"


def test_a_breached_first_response_clock_is_escalated_by_the_ops_scan(
    make_ops, open_ticket, orders_
):
    lead = make_ops("sla_lead", perms=("ops.receive_sla_escalation",), regions=None)
    west = make_ops("sla_west", perms=("ops.receive_sla_escalation",), regions=("south",))
    ticket = open_ticket(order=orders_["east"])

    report = sla_scan(actor=system_actor(), now=timezone.now() + timedelta(hours=5))

    assert report.escalated >= 1
    first = clocks(ticket, FIRST)[0]
    assert first.status == "breached" and first.escalated_at is not None
    assert clocks(ticket, RESOLUTION)[0].status == "open"
    assert StaffNotification.objects.filter(recipient=lead, kind="sla.breached").exists()
    assert not StaffNotification.objects.filter(recipient=west, kind="sla.breached").exists()
    row = selectors.ticket_list_with_sla(actor=system_actor()).get(pk=ticket.pk)
    assert row.sla_breached and row.sla_escalated
    late = selectors.tickets_first_response_late(
        actor=system_actor(), now=timezone.now() + timedelta(hours=5)
    )
    assert list(late) == [ticket]


def test_reopening_starts_a_new_resolution_clock(agent, open_ticket):
    ticket = services.ticket_resolve(actor=agent, ticket=open_ticket(), resolution="r")
    services.ticket_reopen(actor=agent, ticket=ticket, reason="会员说没解决")

    assert [c.status for c in clocks(ticket, RESOLUTION)] == ["met", "open"]
