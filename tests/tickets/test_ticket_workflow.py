"""The ticket services: links and region, the status table (illegal steps are 409 and
leave nothing behind), the thread, escalation, rating and the daily auto-close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from mall.core.transitions import InvalidTransition
from ops.models import StaffNotification
from ops.tickets.exceptions import (
    TicketHeldByOther,
    TicketInvalid,
    TicketPermissionDenied,
    TicketStateConflict,
)
from ops.tickets.models import Ticket, TicketMessage
from ops.tickets.services import tickets as services

from .support import audit_actions, clocks

pytestmark = pytest.mark.django_db


def test_a_ticket_about_an_own_order_belongs_to_the_orders_region(buyer, orders_, open_ticket):
    ticket = open_ticket(order=orders_["north"], category="order")

    assert ticket.status == Ticket.Status.OPEN
    assert ticket.ticket_no.startswith("GD")
    assert ticket.region.code == "north"
    assert ticket.source == Ticket.Source.STOREFRONT
    assert audit_actions(ticket) == ["tickets.create"]


def test_a_ticket_without_an_order_belongs_to_the_members_region(make_member, open_ticket):
    from rbac.models import SalesRegion

    member = make_member("13800000009")
    member.region = SalesRegion.objects.get(code="south")
    member.save(update_fields=["region"])

    assert open_ticket(member=member).region.code == "south"


def test_another_members_order_is_refused_and_nothing_is_written(orders_, open_ticket):
    with pytest.raises(TicketInvalid) as refused:
        open_ticket(order=orders_["foreign"])

    assert set(refused.value.fields) == {"order_no"}
    assert not Ticket.objects.exists()


def test_a_member_cannot_open_a_ticket_for_someone_else(buyer, stranger):
    with pytest.raises(TicketPermissionDenied):
        services.ticket_create(
            actor=stranger, member=buyer, category="order", subject="s", body="b"
        )


def test_staff_without_the_add_permission_cannot_enter_a_ticket(make_ops, buyer):
    reader = make_ops("reader", perms=("tickets.view_ticket",), regions=None)
    with pytest.raises(TicketPermissionDenied):
        services.ticket_create(
            actor=reader, member=buyer, category="order", subject="s", body="b", source="phone"
        )


def test_staff_entry_records_who_entered_it_and_how_the_member_called(agent, buyer):
    ticket = services.ticket_create(
        actor=agent, member=buyer, category="payment", subject="扣款两次", body="…", source="chat"
    )
    assert ticket.created_by == agent
    assert ticket.source == Ticket.Source.CHAT


def test_assign_to_me_moves_a_new_ticket_to_assigned(agent, open_ticket):
    ticket = services.ticket_assign(actor=agent, ticket=open_ticket())

    assert ticket.status == Ticket.Status.ASSIGNED
    assert ticket.assignee == agent
    assert audit_actions(ticket)[-1] == "tickets.assign"


def test_an_agent_cannot_take_a_ticket_another_agent_holds(plain_agents, open_ticket):
    first, second = plain_agents
    ticket = services.ticket_assign(actor=first, ticket=open_ticket())

    with pytest.raises(TicketHeldByOther) as refused:
        services.ticket_assign(actor=second, ticket=ticket)

    assert (refused.value.code, refused.value.status_code) == ("ticket_held_by_other", 409)
    ticket.refresh_from_db()
    assert ticket.assignee == first
    assert audit_actions(ticket) == ["tickets.create", "tickets.assign"]


def test_an_agent_may_take_again_a_ticket_they_already_hold(plain_agents, open_ticket):
    first, _second = plain_agents
    ticket = services.ticket_assign(actor=first, ticket=open_ticket())

    assert services.ticket_assign(actor=first, ticket=ticket).assignee == first


def test_whoever_may_assign_tickets_hands_a_held_one_over_but_never_takes_it_silently(
    agent, plain_agents, open_ticket
):
    ticket = services.ticket_assign(actor=plain_agents[0], ticket=open_ticket())
    with pytest.raises(TicketHeldByOther):  # "assign to me" never takes a held ticket
        services.ticket_assign(actor=agent, ticket=ticket)

    ticket = services.ticket_assign(actor=agent, ticket=ticket, assignee=agent)

    assert ticket.assignee == agent
    assert audit_actions(ticket)[-1] == "tickets.assign"


def test_handing_a_ticket_to_someone_who_cannot_handle_tickets_is_refused(
    agent, east_ops, open_ticket
):
    ticket = open_ticket()
    with pytest.raises(TicketInvalid) as refused:
        services.ticket_assign(actor=agent, ticket=ticket, assignee=east_ops)

    assert set(refused.value.fields) == {"assignee"}
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert audit_actions(ticket) == ["tickets.create"]


def test_handing_a_ticket_to_a_colleague_notifies_them(agent, other_agent, open_ticket):
    ticket = services.ticket_assign(actor=agent, ticket=open_ticket(), assignee=other_agent)

    assert ticket.assignee == other_agent
    assert StaffNotification.objects.filter(recipient=other_agent, kind="tickets.assigned").exists()


def test_a_reply_waits_for_the_member_and_makes_the_replier_the_assignee(agent, open_ticket):
    ticket = open_ticket()
    services.ticket_reply(actor=agent, ticket=ticket, body="请提供订单号")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_MEMBER
    assert ticket.assignee == agent
    assert ticket.first_response_at is not None


def test_an_internal_note_is_not_a_response_and_changes_no_status(agent, open_ticket):
    ticket = open_ticket()
    services.ticket_reply(actor=agent, ticket=ticket, body="查仓库", internal=True)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_response_at is None
    assert TicketMessage.objects.get(ticket=ticket).is_internal
    assert audit_actions(ticket)[-1] == "tickets.internal_note"


def test_a_members_reply_brings_a_waiting_ticket_back_in_progress(agent, buyer, open_ticket):
    ticket = open_ticket()
    services.ticket_reply(actor=agent, ticket=ticket, body="请提供订单号")
    services.ticket_member_reply(actor=buyer, ticket=ticket, body="DD123")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert StaffNotification.objects.filter(recipient=agent, kind="tickets.member_replied").exists()


def test_a_member_cannot_reply_on_someone_elses_ticket(stranger, open_ticket):
    with pytest.raises(TicketPermissionDenied):
        services.ticket_member_reply(actor=stranger, ticket=open_ticket(), body="x")


@pytest.mark.parametrize(
    "step",
    [
        lambda agent, ticket: services.ticket_resolve(actor=agent, ticket=ticket, resolution="r"),
        lambda agent, ticket: services.ticket_reply(actor=agent, ticket=ticket, body="r"),
        lambda agent, ticket: services.ticket_reply(
            actor=agent, ticket=ticket, body="r", internal=True
        ),
        lambda agent, ticket: services.ticket_reopen(actor=agent, ticket=ticket, reason="r"),
        lambda agent, ticket: services.ticket_close(actor=agent, ticket=ticket, reason="r"),
        lambda agent, ticket: services.ticket_assign(actor=agent, ticket=ticket),
        lambda agent, ticket: services.ticket_escalate(actor=agent, ticket=ticket, reason="r"),
    ],
    ids=["resolve", "reply", "note", "reopen", "close", "assign", "escalate"],
)
def test_every_step_on_a_closed_ticket_is_refused_with_no_trace(agent, open_ticket, step):
    ticket = open_ticket()
    services.ticket_close(actor=agent, ticket=ticket, reason="重复工单")
    before = audit_actions(ticket)
    messages = TicketMessage.objects.count()

    with pytest.raises((InvalidTransition, TicketStateConflict)) as refused:
        step(agent, ticket)

    assert refused.value.status_code == 409
    assert audit_actions(ticket) == before
    assert TicketMessage.objects.count() == messages
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_reopening_a_ticket_that_is_not_resolved_is_refused(agent, open_ticket):
    ticket = open_ticket()
    with pytest.raises(TicketStateConflict) as refused:
        services.ticket_reopen(actor=agent, ticket=ticket, reason="r")
    assert refused.value.status_code == 409
    assert audit_actions(ticket) == ["tickets.create"]


def test_closing_an_unresolved_ticket_needs_a_reason(agent, open_ticket):
    ticket = open_ticket()
    with pytest.raises(TicketInvalid) as refused:
        services.ticket_close(actor=agent, ticket=ticket)

    assert set(refused.value.fields) == {"reason"}
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_resolved_ticket_reopens_when_the_member_answers(agent, buyer, open_ticket):
    ticket = services.ticket_resolve(actor=agent, ticket=open_ticket(), resolution="已补发")
    services.ticket_member_reply(actor=buyer, ticket=ticket, body="还是没收到")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.reopened_count == 1
    assert ticket.resolved_at is None
    resolution = clocks(ticket, "tickets.resolution")
    assert [c.status for c in resolution] == ["met", "open"]


def test_the_escalation_notice_names_the_ticket_but_not_the_free_text_reason(
    agent, supervisor, open_ticket
):
    reason = "会员张三 13800000001 情绪激动"
    ticket = services.ticket_escalate(actor=agent, ticket=open_ticket(), reason=reason)

    notice = StaffNotification.objects.get(recipient=supervisor, kind="tickets.escalated")
    assert ticket.ticket_no in notice.title
    for text in (notice.title, notice.body):
        assert "13800000001" not in text and "张三" not in text
    ticket.refresh_from_db()
    assert ticket.escalation_reason == reason


def test_escalating_tells_the_supervisors_once_and_raises_the_priority(
    agent, supervisor, open_ticket
):
    ticket = services.ticket_escalate(actor=agent, ticket=open_ticket(), reason="会员情绪激动")

    assert ticket.escalated_by == agent
    assert ticket.priority == Ticket.Priority.HIGH
    assert (
        StaffNotification.objects.filter(recipient=supervisor, kind="tickets.escalated").count()
        == 1
    )
    with pytest.raises(TicketStateConflict):
        services.ticket_escalate(actor=agent, ticket=ticket, reason="again")
    assert audit_actions(ticket).count("tickets.escalate") == 1


def test_a_member_rates_a_closed_ticket_once(agent, buyer, open_ticket):
    ticket = services.ticket_resolve(actor=agent, ticket=open_ticket(), resolution="已处理")
    with pytest.raises(TicketStateConflict):
        services.ticket_rate(actor=buyer, ticket=ticket, rating=5)
    services.ticket_close(actor=agent, ticket=ticket)

    rated = services.ticket_rate(actor=buyer, ticket=ticket, rating=4, comment="不错")

    assert (rated.rating, rated.rating_comment) == (4, "不错")
    with pytest.raises(TicketStateConflict):
        services.ticket_rate(actor=buyer, ticket=ticket, rating=1)
    rated.refresh_from_db()
    assert rated.rating == 4
    assert audit_actions(ticket).count("tickets.rate") == 1


@pytest.mark.parametrize("rating", [0, 6, True, "5"])
def test_a_rating_outside_one_to_five_stars_is_refused(agent, buyer, open_ticket, rating):
    ticket = open_ticket()
    services.ticket_close(actor=agent, ticket=ticket, reason="会员撤回")
    with pytest.raises(TicketInvalid):
        services.ticket_rate(actor=buyer, ticket=ticket, rating=rating)


def test_a_low_rating_goes_to_the_supervisors(agent, buyer, supervisor, open_ticket):
    ticket = open_ticket()
    services.ticket_close(actor=agent, ticket=ticket, reason="会员撤回")
    services.ticket_rate(actor=buyer, ticket=ticket, rating=2, comment="太慢")

    assert StaffNotification.objects.filter(
        recipient=supervisor, kind="tickets.low_rating"
    ).exists()


def test_only_the_ticket_owner_may_rate(agent, stranger, open_ticket):
    ticket = open_ticket()
    services.ticket_close(actor=agent, ticket=ticket, reason="会员撤回")
    with pytest.raises(TicketPermissionDenied):
        services.ticket_rate(actor=stranger, ticket=ticket, rating=5)


def test_resolved_tickets_left_unanswered_are_closed_by_the_daily_job(agent, open_ticket):
    old = services.ticket_resolve(actor=agent, ticket=open_ticket(), resolution="r")
    fresh = services.ticket_resolve(actor=agent, ticket=open_ticket(), resolution="r")
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=8))

    assert services.tickets_auto_close(actor=system_actor()) == 1
    assert services.tickets_auto_close(actor=system_actor()) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == Ticket.Status.CLOSED
    assert fresh.status == Ticket.Status.RESOLVED
    assert audit_actions(old)[-1] == "tickets.auto_close"
