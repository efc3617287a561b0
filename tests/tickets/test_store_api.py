"""The storefront ticket API (../shared/API.md "Tickets"): open (201 ``{"ticket_no",
"status"}``, Idempotency-Key, rate limited), own tickets only, the public thread, the
member's reply and the rating once after closing."""

from __future__ import annotations

import pytest

from ops.tickets.models import Ticket
from ops.tickets.services import tickets as services

pytestmark = pytest.mark.django_db
BASE = "/api/v1/store/tickets/"
BODY = {"category": "delivery", "subject": "包裹没到", "body": "三天没有物流更新"}


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    if code:
        assert body["code"] == code
    return body


def test_a_member_opens_a_ticket_and_gets_its_number_and_status(buyer, member_client):
    response = member_client(buyer).post(BASE, BODY, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"ticket_no", "status"}
    assert body["status"] == "open"
    ticket = Ticket.objects.get(ticket_no=body["ticket_no"])
    assert ticket.member == buyer and ticket.source == "storefront"


def test_a_member_links_their_own_order(buyer, orders_, member_client):
    response = member_client(buyer).post(
        BASE, {**BODY, "order_no": orders_["east"].order_no}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().order == orders_["east"]


def test_a_foreign_order_number_is_refused_exactly_like_one_that_does_not_exist(
    buyer, orders_, member_client
):
    client = member_client(buyer)
    foreign = client.post(BASE, {**BODY, "order_no": orders_["foreign"].order_no}, format="json")
    missing = client.post(BASE, {**BODY, "order_no": "DD20990101000000"}, format="json")

    assert _error(foreign, 400) == _error(missing, 400)
    assert set(_error(foreign, 400)["fields"]) == {"order_no"}
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "category": "weather"},
        {**BODY, "subject": ""},
        {**BODY, "subject": "x" * 201},
        {"category": "order"},
        {**BODY, "order_no": "x" * 25},
        {**BODY, "kind": "praise"},
    ],
    ids=["category", "empty-subject", "long-subject", "missing", "long-order", "kind"],
)
def test_bad_input_is_a_400_and_writes_nothing(buyer, member_client, body):
    _error(member_client(buyer).post(BASE, body, format="json"), 400)
    assert not Ticket.objects.exists()


def test_the_same_idempotency_key_replays_the_first_answer(buyer, member_client):
    client = member_client(buyer)
    first = client.post(BASE, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(BASE, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(
        BASE, {**BODY, "subject": "另一个"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    _error(other, 422, "idempotency_key_reused")
    assert Ticket.objects.count() == 1


def test_opening_tickets_is_rate_limited_per_member(buyer, stranger, member_client, settings):
    from ops.models import SystemParameter

    SystemParameter.objects.update_or_create(key="tickets.create_per_hour", defaults={"value": 2})
    from django.core.cache import cache

    cache.clear()
    client = member_client(buyer)
    assert client.post(BASE, BODY, format="json").status_code == 201
    assert client.post(BASE, BODY, format="json").status_code == 201
    _error(client.post(BASE, BODY, format="json"), 429)
    assert client.get(BASE).status_code == 200  # reading is not limited
    assert member_client(stranger).post(BASE, BODY, format="json").status_code == 201


def test_a_member_lists_only_their_own_tickets(buyer, stranger, member_client, open_ticket):
    mine = open_ticket()
    theirs = open_ticket(member=stranger)

    response = member_client(buyer).get(BASE)

    assert response.status_code == 200
    body = response.json()
    assert {"results", "next", "previous"} <= set(body)
    assert [item["ticket_no"] for item in body["results"]] == [mine.ticket_no]
    assert theirs.ticket_no not in response.content.decode()


def test_another_members_ticket_is_not_found_everywhere(
    buyer, stranger, agent, member_client, open_ticket
):
    theirs = open_ticket(member=stranger)
    services.ticket_close(actor=agent, ticket=theirs, reason="r")
    client = member_client(buyer)
    missing = _error(client.get(f"{BASE}GD20990101000000/"), 404, "not_found")

    assert _error(client.get(f"{BASE}{theirs.ticket_no}/"), 404) == missing
    _error(client.post(f"{BASE}{theirs.ticket_no}/messages/", {"body": "x"}, format="json"), 404)
    _error(client.post(f"{BASE}{theirs.ticket_no}/rating/", {"rating": 1}, format="json"), 404)
    theirs.refresh_from_db()
    assert theirs.rating is None


def test_the_detail_shows_the_public_thread_without_internal_notes_or_staff_names(
    buyer, agent, member_client, open_ticket
):
    ticket = open_ticket()
    services.ticket_reply(actor=agent, ticket=ticket, body="内部备注：疑似刷单", internal=True)
    services.ticket_reply(actor=agent, ticket=ticket, body="您好，请提供照片")

    body = member_client(buyer).get(f"{BASE}{ticket.ticket_no}/").json()

    assert [m["body"] for m in body["messages"]] == ["您好，请提供照片"]
    assert body["messages"][0]["author_kind"] == "staff"
    assert "疑似刷单" not in str(body)
    assert agent.username not in str(body)
    assert body["status"] == "waiting_member"


def test_a_member_replies_and_a_closed_ticket_refuses_replies(
    buyer, agent, member_client, open_ticket
):
    ticket = open_ticket()
    client = member_client(buyer)
    response = client.post(f"{BASE}{ticket.ticket_no}/messages/", {"body": "补充"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["messages"][-1]["author_kind"] == "member"

    services.ticket_close(actor=agent, ticket=ticket, reason="重复")
    _error(client.post(f"{BASE}{ticket.ticket_no}/messages/", {"body": "x"}, format="json"), 409)


def test_a_member_rates_once_after_closing(buyer, agent, member_client, open_ticket):
    ticket = open_ticket()
    client = member_client(buyer)
    url = f"{BASE}{ticket.ticket_no}/rating/"
    _error(client.post(url, {"rating": 5}, format="json"), 409, "ticket_state_conflict")
    services.ticket_resolve(actor=agent, ticket=ticket, resolution="已补发")
    services.ticket_close(actor=agent, ticket=ticket)
    _error(client.post(url, {"rating": 9}, format="json"), 400)

    rated = client.post(url, {"rating": 5, "comment": "很快"}, format="json")

    assert rated.status_code == 200, rated.content
    assert rated.json()["rating"] == 5 and rated.json()["can_rate"] is False
    _error(client.post(url, {"rating": 1}, format="json"), 409, "ticket_state_conflict")


def test_staff_tokens_never_reach_the_storefront(agent, staff_client):
    assert staff_client(agent).get(BASE).status_code in (401, 403)
