"""The staff ticket API under ``/api/v1/tickets/``: scope (404 like a missing ticket),
function permissions (403), the workflow actions with their 409s, staff entry by phone,
strict filters and the complaint analysis (scoped figures)."""

from __future__ import annotations

import pytest

from ops.models import AuditEntry
from ops.tickets.models import Ticket
from ops.tickets.services import tickets as services

from .support import audit_actions

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tickets/"


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    if code:
        assert body["code"] == code
    return body


def _nos(response) -> set:
    assert response.status_code == 200, response.content
    return {item["ticket_no"] for item in response.json()["results"]}


@pytest.fixture
def tickets(orders_, open_ticket):
    return {
        "east": open_ticket(order=orders_["east"]),
        "north": open_ticket(order=orders_["north"], kind="complaint", category="product"),
    }


def test_the_agent_lists_every_ticket_with_a_masked_phone(agent, tickets, staff_client):
    response = staff_client(agent).get(BASE)

    assert _nos(response) == {t.ticket_no for t in tickets.values()}
    item = response.json()["results"][0]
    assert item["member_phone"] == "138****0001"
    assert item["status"] == "open" and item["escalated"] is False


def test_a_regional_user_sees_only_their_regions_tickets_and_404_for_the_rest(
    east_ops, tickets, staff_client
):
    client = staff_client(east_ops)
    assert _nos(client.get(BASE)) == {tickets["east"].ticket_no}
    missing = _error(client.get(f"{BASE}GD20990101000000/"), 404, "not_found")
    assert _error(client.get(f"{BASE}{tickets['north'].ticket_no}/"), 404) == missing
    assert _nos(client.get(BASE, {"region": "north"})) == set()


def test_an_action_on_a_ticket_out_of_scope_is_404_and_changes_nothing(
    make_ops, tickets, staff_client
):
    from tests.tickets.conftest import AGENT

    east_agent = make_ops("east_agent", perms=AGENT, regions=("east",))
    north = tickets["north"]
    _error(staff_client(east_agent).post(f"{BASE}{north.ticket_no}/close/", {"reason": "x"}), 404)
    north.refresh_from_db()
    assert north.status == "open"
    assert audit_actions(north) == ["tickets.create"]


def test_without_the_view_permission_the_list_is_forbidden(make_ops, tickets, staff_client):
    nobody = make_ops("nobody", perms=("orders.view_order",), regions=None)
    _error(staff_client(nobody).get(BASE), 403)


def test_a_reader_cannot_act(east_ops, tickets, staff_client):
    ticket = tickets["east"]
    _error(
        staff_client(east_ops).post(f"{BASE}{ticket.ticket_no}/resolve/", {"resolution": "r"}), 403
    )


@pytest.mark.parametrize(
    "query",
    ["status=lost", "kind=praise", "assigned=someone", "escalated=maybe", "member=abc"],
)
def test_bad_filters_are_400(agent, tickets, staff_client, query):
    _error(staff_client(agent).get(f"{BASE}?{query}"), 400)


def test_empty_filter_values_mean_no_filter(agent, tickets, staff_client):
    assert len(_nos(staff_client(agent).get(f"{BASE}?status=&kind=&category="))) == 2


def test_filters_narrow_the_list(agent, tickets, staff_client):
    client = staff_client(agent)
    assert _nos(client.get(BASE, {"kind": "complaint"})) == {tickets["north"].ticket_no}
    assert _nos(client.get(BASE, {"order_no": tickets["east"].order.order_no})) == {
        tickets["east"].ticket_no
    }
    services.ticket_assign(actor=agent, ticket=tickets["east"])
    assert _nos(client.get(BASE, {"assigned": "mine"})) == {tickets["east"].ticket_no}
    assert _nos(client.get(BASE, {"assigned": "none"})) == {tickets["north"].ticket_no}


def test_the_workflow_through_the_api(agent, buyer, tickets, staff_client):
    client = staff_client(agent)
    ticket = tickets["east"]
    url = f"{BASE}{ticket.ticket_no}/"

    assert client.post(f"{url}assign/", {}, format="json").json()["status"] == "assigned"
    note = client.post(f"{url}reply/", {"body": "查仓库", "internal": True}, format="json")
    assert note.json()["messages"][-1]["is_internal"] is True
    reply = client.post(f"{url}reply/", {"body": "您好"}, format="json").json()
    assert reply["status"] == "waiting_member" and reply["first_response_at"]
    resolved = client.post(f"{url}resolve/", {"resolution": "已补发"}, format="json").json()
    assert resolved["status"] == "resolved"
    assert {c["kind"]: c["status"] for c in resolved["sla_clocks"]} == {
        "tickets.first_response": "met",
        "tickets.resolution": "met",
    }
    _error(client.post(f"{url}resolve/", {"resolution": "again"}, format="json"), 409)
    closed = client.post(f"{url}close/", {}, format="json").json()
    assert closed["status"] == "closed"
    _error(client.post(f"{url}reply/", {"body": "x"}, format="json"), 409, "invalid_transition")


def test_an_illegal_step_is_409_and_leaves_no_audit_entry(agent, tickets, staff_client):
    ticket = tickets["east"]
    before = AuditEntry.objects.count()
    _error(staff_client(agent).post(f"{BASE}{ticket.ticket_no}/reopen/", {"reason": "x"}), 409)
    assert AuditEntry.objects.count() == before


def test_escalating_twice_is_a_conflict(agent, tickets, staff_client):
    client = staff_client(agent)
    url = f"{BASE}{tickets['east'].ticket_no}/escalate/"
    assert client.post(url, {"reason": "会员投诉升级"}).json()["escalated"] is True
    _error(client.post(url, {"reason": "again"}), 409, "ticket_state_conflict")
    assert (
        staff_client(agent).get(BASE, {"escalated": "true"}).json()["results"][0]["ticket_no"]
        == tickets["east"].ticket_no
    )


def test_taking_a_ticket_another_agent_holds_is_a_409_and_keeps_the_holder(
    plain_agents, tickets, staff_client
):
    first, second = plain_agents
    url = f"{BASE}{tickets['east'].ticket_no}/assign/"
    assert staff_client(first).post(url, {}, format="json").status_code == 200

    _error(staff_client(second).post(url, {}, format="json"), 409, "ticket_held_by_other")

    ticket = Ticket.objects.get(pk=tickets["east"].pk)
    assert ticket.assignee == first
    assert audit_actions(ticket) == ["tickets.create", "tickets.assign"]


def test_assigning_to_an_unknown_person_is_a_400(agent, tickets, staff_client):
    response = staff_client(agent).post(
        f"{BASE}{tickets['east'].ticket_no}/assign/", {"assignee": 987654321}, format="json"
    )
    assert set(_error(response, 400)["fields"]) == {"assignee"}


def test_staff_enter_a_ticket_by_the_members_full_phone(agent, buyer, orders_, staff_client):
    response = staff_client(agent).post(
        BASE,
        {
            "member_phone": "13800000001",
            "category": "payment",
            "source": "phone",
            "subject": "重复扣款",
            "body": "会员来电",
            "order_no": orders_["east"].order_no,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(ticket_no=response.json()["ticket_no"])
    assert (ticket.member, ticket.created_by, ticket.source) == (buyer, agent, "phone")


def test_staff_entry_refuses_a_partial_phone_and_an_order_of_another_member(
    agent, buyer, orders_, staff_client
):
    client = staff_client(agent)
    body = {"category": "order", "subject": "s", "body": "b"}
    partial = client.post(BASE, {**body, "member_phone": "1380000"}, format="json")
    assert set(_error(partial, 400)["fields"]) == {"member_phone"}
    foreign = client.post(
        BASE,
        {**body, "member_phone": "13800000001", "order_no": orders_["foreign"].order_no},
        format="json",
    )
    assert set(_error(foreign, 400)["fields"]) == {"order_no"}
    storefront = client.post(
        BASE, {**body, "member_phone": "13800000001", "source": "storefront"}, format="json"
    )
    _error(storefront, 400)
    assert not Ticket.objects.exists()


def test_the_analysis_counts_only_the_readers_tickets(
    agent, east_ops, buyer, tickets, staff_client
):
    services.ticket_close(actor=agent, ticket=tickets["east"], reason="r")
    services.ticket_rate(actor=buyer, ticket=tickets["east"], rating=4)

    everything = staff_client(agent).get(f"{BASE}analysis/").json()
    east = staff_client(east_ops).get(f"{BASE}analysis/?days=7&period=day").json()

    assert {r["category"]: r["tickets"] for r in everything["by_category"]} == {
        "delivery": 1,
        "product": 1,
    }
    assert sum(r["complaints"] for r in everything["by_category"]) == 1
    assert everything["average_rating"] == 4.0 and everything["rated"] == 1
    assert {r["category"] for r in east["by_category"]} == {"delivery"}
    assert sum(r["tickets"] for r in east["by_period"]) == 1
    assert east["resolution"] == {"met": 0, "breached": 0, "met_percent": None}
    _error(staff_client(agent).get(f"{BASE}analysis/?days=0"), 400)
    _error(staff_client(agent).get(f"{BASE}analysis/?period=year"), 400)


def test_the_list_runs_a_constant_number_of_queries(
    agent, open_ticket, staff_client, django_assert_max_num_queries
):
    for _ in range(6):
        open_ticket()
    client = staff_client(agent)
    client.get(BASE)  # warm caches (permissions, content types)
    with django_assert_max_num_queries(12):
        assert len(client.get(BASE).json()["results"]) == 6
