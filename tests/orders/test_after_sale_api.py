# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""The after-sales API: storefront requests and cases, the staff queue and its actions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from orders.models import AfterSale
from tests.orders.after_sales_fixtures import (  # noqa: F401
    buyer,
    clock,
    cs_agent,
    cs_north,
    finance,
    received_order,
    sku,
    staff,
)

pytestmark = pytest.mark.django_db


def _staff(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _request(client, order, sku, key="k-1", **body):
    return client.post(
        reverse("store-order-after-sales", args=[order.order_no]),
        {
            "type": "refund_only",
            "lines": [{"sku": sku.code, "quantity": 1}],
            "reason": "quality",
            **body,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_member_requests_once_per_idempotency_key_and_reads_the_case(
    member_client, buyer, received_order, sku
):
    client = member_client(buyer)
    first = _request(client, received_order, sku, description="坏了")
    again = _request(client, received_order, sku, description="坏了")
    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again.json() == first.json()
    assert AfterSale.objects.count() == 1
    body = first.json()
    assert (body["status"], body["requested_amount"], body["lines"][0]["amount"]) == (
        "requested",
        "99.00",
        "99.00",
    )
    other = _request(client, received_order, sku, description="不同")
    assert other.status_code == 422
    listed = client.get(reverse("store-after-sale-list")).json()["results"]
    assert [row["case_no"] for row in listed] == [body["case_no"]]
    detail = client.get(reverse("store-after-sale-detail", args=[body["case_no"]])).json()
    assert detail["events"][0]["type"] == "request"
    assert "actor_user" not in detail["events"][0]


def test_bad_input_is_a_400_in_the_error_shape_and_writes_nothing(
    member_client, buyer, received_order, sku
):
    client = member_client(buyer)
    for body in (
        {"type": "refund_all"},
        {"lines": []},
        {"lines": [{"sku": "NOPE", "quantity": 1}]},
        {"amount": "abc"},
        {"amount": "99.01"},
        {"lines": [{"sku": sku.code, "quantity": "x"}]},
    ):
        response = _request(client, received_order, sku, key=None, **body)
        assert response.status_code == 400, (body, response.json())
        assert set(response.json()["error"]) >= {"code", "message", "fields"}
    assert not AfterSale.objects.exists()


def test_other_members_orders_and_cases_are_404(
    member_client, make_member, buyer, received_order, sku
):
    case_no = _request(member_client(buyer), received_order, sku).json()["case_no"]
    stranger = member_client(make_member())
    assert _request(stranger, received_order, sku, key="s").status_code == 404
    for name in ("store-after-sale-detail",):
        assert stranger.get(reverse(name, args=[case_no])).status_code == 404
    assert stranger.post(reverse("store-after-sale-cancel", args=[case_no])).status_code == 404


def test_staff_tokens_do_not_act_as_members(received_order, sku, cs_agent):
    response = _request(_staff(cs_agent), received_order, sku)
    assert response.status_code in (401, 403)


def test_customer_service_approves_and_finance_refunds_through_the_api(
    member_client, buyer, received_order, sku, cs_agent, finance
):
    case_no = _request(member_client(buyer), received_order, sku).json()["case_no"]
    case = AfterSale.objects.get(case_no=case_no)
    cs = _staff(cs_agent)
    listed = cs.get(reverse("after-sale-list"), {"status": "requested", "q": case_no.lower()})
    assert [row["case_no"] for row in listed.json()["results"]] == [case_no]
    approved = cs.post(reverse("after-sale-approve", args=[case.pk]), {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "refunding"
    assert [e["type"] for e in approved.json()["events"]] == ["request", "approve", "refund_wait"]
    assert cs.post(reverse("after-sale-refund", args=[case.pk])).status_code == 403
    money = _staff(finance)
    done = money.post(reverse("after-sale-refund", args=[case.pk]), HTTP_IDEMPOTENCY_KEY="r1")
    replay = money.post(reverse("after-sale-refund", args=[case.pk]), HTTP_IDEMPOTENCY_KEY="r1")
    assert done.status_code == 200 and done.json()["refunded_amount"] == "99.00"
    assert replay.json() == done.json()
    second = money.post(reverse("after-sale-refund", args=[case.pk]), HTTP_IDEMPOTENCY_KEY="r2")
    assert second.status_code == 409
    received_order.refresh_from_db()
    assert received_order.refunded_amount == Decimal("99.00")


def test_a_rejection_is_disputed_by_the_member_and_planned_by_staff(
    member_client, buyer, received_order, sku, cs_agent
):
    member = member_client(buyer)
    case_no = _request(member, received_order, sku).json()["case_no"]
    case = AfterSale.objects.get(case_no=case_no)
    cs = _staff(cs_agent)
    assert (
        cs.post(reverse("after-sale-reject", args=[case.pk]), {}, format="json").status_code == 400
    )
    cs.post(reverse("after-sale-reject", args=[case.pk]), {"reason": "已过期"}, format="json")
    disputed = member.post(
        reverse("store-after-sale-dispute", args=[case_no]), {"reason": "没过期"}, format="json"
    )
    assert disputed.status_code == 200 and disputed.json()["status"] == "disputed"
    planned = cs.post(
        reverse("after-sale-plan", args=[case.pk]),
        {"plan": "核实后同意", "approve": True},
        format="json",
    )
    assert planned.json()["status"] == "refunding"


def test_returned_goods_are_received_into_a_warehouse_in_scope(
    member_client, buyer, received_order, sku, cs_agent, warehouses
):
    member = member_client(buyer)
    response = _request(member, received_order, sku, type="return_refund")
    case = AfterSale.objects.get(case_no=response.json()["case_no"])
    cs = _staff(cs_agent)
    cs.post(reverse("after-sale-approve", args=[case.pk]), {}, format="json")
    bad = cs.post(
        reverse("after-sale-receive", args=[case.pk]), {"warehouse": "WH-XX"}, format="json"
    )
    assert bad.status_code == 400
    done = cs.post(
        reverse("after-sale-receive", args=[case.pk]), {"warehouse": "WH-SH"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "refunding"


def test_the_staff_list_is_scoped_and_filters_are_validated(
    member_client, buyer, received_order, sku, cs_north, cs_agent
):
    case_no = _request(member_client(buyer), received_order, sku).json()["case_no"]
    case = AfterSale.objects.get(case_no=case_no)
    north = _staff(cs_north)
    assert north.get(reverse("after-sale-list")).json()["results"] == []
    assert north.get(reverse("after-sale-detail", args=[case.pk])).status_code == 404
    assert (
        north.post(reverse("after-sale-approve", args=[case.pk]), {}, format="json").status_code
        == 404
    )
    cs = _staff(cs_agent)
    assert cs.get(reverse("after-sale-list"), {"status": "nope"}).status_code == 400
    assert cs.get(reverse("after-sale-list"), {"created_after": "yesterday"}).status_code == 400
    assert len(cs.get(reverse("after-sale-list"), {"region": "east"}).json()["results"]) == 1
    assert cs.get(reverse("after-sale-list"), {"region": "north"}).json()["results"] == []


def test_the_staff_list_runs_a_constant_number_of_queries(
    member_client, make_member, make_order, sku, cs_agent
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    cs = _staff(cs_agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert cs.get(reverse("after-sale-list")).status_code == 200
        return len(queries)

    for number in range(3):
        member = make_member()
        order = make_order(member, [(sku, 1)], status="completed", completed_at=timezone.now())
        _request(member_client(member), order, sku, key=f"n{number}")
        if number == 0:
            count()  # warms the permission and parameter caches
            few = count()
    assert count() == few
