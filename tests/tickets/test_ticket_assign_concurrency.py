"""Two agents pressing "assign to me" on one new ticket at once: one takes it, the other
is refused (PostgreSQL: real row locks and threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ops.tickets.exceptions import TicketHeldByOther
from ops.tickets.models import Ticket
from ops.tickets.services.tickets import ticket_assign
from tests.conftest import requires_postgres

from .support import audit_actions


def _take_together(actors, ticket) -> tuple[list, list, list]:
    barrier = threading.Barrier(len(actors))
    done, refused, crashed = [], [], []
    lock = threading.Lock()

    def press(actor) -> None:
        try:
            barrier.wait(timeout=30)
            ticket_assign(actor=actor, ticket=Ticket.objects.get(pk=ticket.pk))
            with lock:
                done.append(actor.pk)
        except TicketHeldByOther as exc:
            with lock:
                refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test
            with lock:
                crashed.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done, refused, crashed


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_taking_one_ticket_at_once_leave_one_holder_and_one_refusal(
    plain_agents, open_ticket
):
    ticket = open_ticket()

    done, refused, crashed = _take_together(plain_agents, ticket)

    assert crashed == []
    assert len(done) == 1
    assert refused == ["ticket_held_by_other"]
    ticket.refresh_from_db()
    assert ticket.assignee_id == done[0]
    assert ticket.status == Ticket.Status.ASSIGNED
    assert audit_actions(ticket) == ["tickets.create", "tickets.assign"]
