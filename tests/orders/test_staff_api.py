# ruff: noqa: F811
"""The staff order API: list filters and tabs, scope (404), masking, query counts,
detail timeline, actions, batch approval, export."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from tests.orders.fulfilment_support import buyer, make_ops, reviewer  # noqa: F401

pytestmark = pytest.mark.django_db
BASE = "/api/v1/orders/"
READ = ("orders.view_order",)


def test_the_list_shows_the_orders_in_scope_with_lines_shipments_and_masked_phones(
    make_order, stocked_sku, buyer, make_ops, staff_client
):
    sku = stocked_sku()
    east = make_order(buyer, [(sku, 2)], status="shipped")
    make_order(
        buyer, [(sku, 1)], status="pending_review", province_name="北京", allocate_stock=False
    )
    client = staff_client(make_ops("east1", perms=READ))

    body = client.get(BASE).json()

    assert [o["order_no"] for o in body["results"]] == [east.order_no]
    row = body["results"][0]
    assert row["region"] == "east" and row["province"] == "上海" and row["channel"] == "own_store"
    assert row["member_phone"] == "138****0001"
    assert row["recipient"] == "张*" and row["recipient_phone"] == "139****5678"
    assert row["total_amount"] == "198.00" and row["paid_amount"] == "198.00"
    assert [(ln["sku"], ln["quantity"]) for ln in row["lines"]] == [(sku.code, 2)]
    assert len(row["shipments"]) == 1 and row["shipments"][0]["waybill_no"].startswith("SF")
    assert row["shipments"][0]["status"] == "shipped"


def test_pii_holders_see_the_recipient_and_the_reveal_is_audited(
    make_order, stocked_sku, buyer, make_ops, staff_client
):
    from ops.models import AuditEntry

    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    client = staff_client(make_ops("pii", perms=(*READ, "orders.view_order_pii")))

    row = client.get(f"{BASE}{order.order_no}/").json()

    assert row["recipient"] == "张三" and row["recipient_phone"] == "13912345678"
    assert row["member_phone"] == "138****0001"  # members' PII permission is another one
    entry = AuditEntry.objects.filter(action="pii.reveal", object_type="orders.order").get()
    assert sorted(entry.data["fields"]) == ["detail", "phone", "recipient"]


def test_filters_and_tabs(make_order, stocked_sku, buyer, make_ops, staff_client, make_channel):
    sku = stocked_sku()
    tmall = make_channel("tmall-1")
    review = make_order(buyer, [(sku, 1)], status="pending_review")
    to_ship = make_order(buyer, [(sku, 1)], status="allocated", channel=tmall)
    shipped = make_order(buyer, [(sku, 1)], status="shipped")
    frozen = make_order(buyer, [(sku, 1)], status="approved", is_frozen=True)
    client = staff_client(make_ops("f1", perms=READ))

    def numbers(query):
        response = client.get(f"{BASE}?{query}")
        assert response.status_code == 200, response.content
        return {o["order_no"] for o in response.json()["results"]}

    assert numbers("status=pending_review") == {review.order_no}
    assert numbers("tab=to_ship") == {to_ship.order_no, frozen.order_no}
    assert numbers("tab=shipped") == {shipped.order_no}
    assert numbers("tab=frozen") == {frozen.order_no}
    assert numbers("tab=all") == {
        review.order_no,
        to_ship.order_no,
        shipped.order_no,
        frozen.order_no,
    }
    assert numbers("channel=tmall-1") == {to_ship.order_no}
    assert numbers("region=north") == set()
    assert numbers(f"q={review.order_no[:12].lower()}") >= {review.order_no}
    assert numbers(f"q={review.order_no}") == {review.order_no}
    assert numbers("q=13800000001") == numbers("tab=all")
    assert numbers("q=13800000009") == set()
    assert client.get(f"{BASE}?status=nope").status_code == 400
    assert client.get(f"{BASE}?tab=nope").status_code == 400
    assert client.get(f"{BASE}?created_after=yesterday").status_code == 400


def test_after_sale_tab_lists_orders_with_an_open_case(
    make_order, stocked_sku, buyer, make_ops, staff_client, actor
):
    from orders.services.refunds import refund_request_open

    sku = stocked_sku()
    order = make_order(buyer, [(sku, 1)], status="shipped")
    make_order(buyer, [(sku, 1)], status="shipped")
    refund_request_open(actor=actor, order=order, amount="10.00")
    client = staff_client(make_ops("as1", perms=READ))

    rows = client.get(f"{BASE}?tab=after_sale").json()["results"]

    assert [r["order_no"] for r in rows] == [order.order_no]


def test_the_query_count_does_not_grow_with_the_page(
    make_order, stocked_sku, buyer, make_ops, staff_client
):
    sku, other = stocked_sku(), stocked_sku()
    client = staff_client(make_ops("q1", perms=READ))
    make_order(buyer, [(sku, 1), (other, 1)], status="shipped")
    client.get(BASE)  # warm the permission and scope caches
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(BASE).json()["results"]) == 1
    for _i in range(4):
        make_order(buyer, [(sku, 1), (other, 2)], status="shipped")
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(BASE).json()["results"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_an_order_outside_the_scope_is_404_for_reads_and_actions(
    make_order, stocked_sku, buyer, make_ops, staff_client
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    north = staff_client(make_ops("n1", perms=(*READ, "orders.review_order"), regions=("north",)))

    assert north.get(f"{BASE}{order.order_no}/").status_code == 404
    assert north.get(f"{BASE}DD-NOT-THERE/").status_code == 404
    response = north.post(f"{BASE}{order.order_no}/approve/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Order.objects.get(pk=order.pk).status == "pending_review"


def test_detail_has_the_timeline_oldest_first_and_approve_moves_the_order(
    make_order, stocked_sku, buyer, reviewer, staff_client
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    client = staff_client(reviewer)

    response = client.post(f"{BASE}{order.order_no}/approve/", {"note": "ok"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["events"][-1]["type"] == "approve"
    assert body["events"][-1]["from_status"] == "pending_review"
    assert body["events"][-1]["actor"] == "reviewer1"
    events = client.get(f"{BASE}{order.order_no}/").json()["events"]
    assert [e["type"] for e in events] == ["approve"]


def test_actions_need_their_permission_and_refuse_bad_input_and_wrong_states(
    make_order, stocked_sku, buyer, make_ops, reviewer, staff_client
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    viewer = staff_client(make_ops("v1", perms=READ))
    assert viewer.post(f"{BASE}{order.order_no}/approve/", {}).status_code == 403
    assert viewer.post(f"{BASE}{order.order_no}/freeze/", {"reason": "x"}).status_code == 403

    client = staff_client(reviewer)
    response = client.post(f"{BASE}{order.order_no}/reject/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    response = client.post(f"{BASE}{order.order_no}/reject/", {"reason": "x" * 301})
    assert response.status_code == 400

    shipped = make_order(buyer, [(stocked_sku(), 1)], status="shipped")
    response = client.post(f"{BASE}{shipped.order_no}/approve/", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state"


def test_freeze_unfreeze_and_warehouse_approve_through_the_api(
    make_order, stocked_sku, buyer, make_ops, staff_client
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="approved")
    client = staff_client(
        make_ops(
            "w1",
            perms=(*READ, "orders.freeze_order", "orders.warehouse_approve_order"),
        )
    )

    frozen = client.post(f"{BASE}{order.order_no}/freeze/", {"reason": "疑似刷单"}).json()
    assert frozen["is_frozen"] is True and frozen["frozen_reason"] == "疑似刷单"
    refused = client.post(f"{BASE}{order.order_no}/warehouse-approve/")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "order_frozen"
    client.post(f"{BASE}{order.order_no}/unfreeze/", {"reason": "核实无误"})
    done = client.post(f"{BASE}{order.order_no}/warehouse-approve/").json()
    assert done["status"] == "allocated" and done["is_frozen"] is False
    assert [e["type"] for e in done["events"]] == ["freeze", "unfreeze", "warehouse_approve"]


def test_ship_through_the_api_with_a_waybill_per_shipment(
    make_order, stocked_sku, buyer, make_ops, staff_client, clerk
):
    from mall.core.actors import system_actor
    from rbac import services as rbac_services

    order = make_order(buyer, [(stocked_sku(), 1)], status="allocated")
    from dispatch.models import Shipment

    shipment = Shipment.objects.get(order_no=order.order_no)
    for perm in ("orders.view_order", "orders.ship_order"):
        rbac_services.user_permission_add(actor=system_actor(), user=clerk, perm=perm)
    rbac_services.object_permission_grant(
        actor=system_actor(), user=clerk, perm="orders.work_channel", obj=order.channel
    )
    client = staff_client(type(clerk).objects.get(pk=clerk.pk))

    bad = client.post(
        f"{BASE}{order.order_no}/ship/",
        {"waybills": [{"shipment": 999999, "waybill_no": "SF1"}]},
        format="json",
    )
    assert bad.status_code == 400
    response = client.post(
        f"{BASE}{order.order_no}/ship/",
        {"waybills": [{"shipment": shipment.pk, "waybill_no": "SF123456"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "shipped"
    assert response.json()["shipments"][0]["waybill_no"] == "SF123456"


def test_batch_approval_answers_done_and_failed_and_hides_orders_out_of_scope(
    make_order, stocked_sku, buyer, reviewer, staff_client
):
    sku = stocked_sku()
    good = make_order(buyer, [(sku, 1)], status="pending_review")
    frozen = make_order(buyer, [(sku, 1)], status="pending_review", is_frozen=True)
    north = make_order(
        buyer, [(sku, 1)], status="pending_review", province_name="北京", allocate_stock=False
    )

    response = staff_client(reviewer).post(
        f"{BASE}approve-batch/",
        {"order_nos": [good.order_no, frozen.order_no, north.order_no]},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["done"] == [good.order_no]
    assert set(body["failed"]) == {frozen.order_no, north.order_no}
    assert Order.objects.get(pk=north.pk).status == "pending_review"


def test_export_has_the_order_record_columns_scoped_masked_and_audited(
    make_order, stocked_sku, buyer, make_ops, staff_client
):
    from ops.models import AuditEntry

    sku = stocked_sku()
    shipped = make_order(buyer, [(sku, 1)], status="shipped")
    make_order(
        buyer, [(sku, 1)], status="pending_review", province_name="北京", allocate_stock=False
    )
    client = staff_client(make_ops("x1", perms=(*READ, "orders.export_order")))
    assert staff_client(make_ops("x2", perms=READ)).get(f"{BASE}export/").status_code == 403

    response = client.get(f"{BASE}export/?format=csv")

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln]
    assert lines[0].split(",")[:11] == [
        "order_no",
        "member_id",
        "created_at",
        "products",
        "total_amount",
        "payment_status",
        "status",
        "shipped_at",
        "waybill_nos",
        "after_sale_status",
        "handler",
    ]
    assert len(lines) == 2 and lines[1].startswith(shipped.order_no)
    assert "138****0001" in lines[1] and "13800000001" not in text
    assert "SF" in lines[1]
    assert AuditEntry.objects.filter(action="data.export", object_type="orders.order").exists()
    xlsx = client.get(f"{BASE}export/?format=xlsx")
    assert xlsx.status_code == 200


def test_the_packing_list_has_a_row_per_line_in_scope_and_exports(
    make_order, stocked_sku, buyer, make_ops, staff_client
):
    sku, other = stocked_sku(), stocked_sku()
    order = make_order(buyer, [(sku, 2), (other, 1)], status="allocated")
    make_order(buyer, [(sku, 1)], status="allocated", province_name="北京", allocate_stock=False)
    client = staff_client(make_ops("pack", perms=(*READ, "orders.export_order")))

    rows = client.get("/api/v1/order-lines/?status=allocated").json()["results"]
    assert sorted((r["order_no"], r["sku"], r["quantity"]) for r in rows) == sorted(
        [(order.order_no, sku.code, 2), (order.order_no, other.code, 1)]
    )
    assert client.get("/api/v1/order-lines/1/").status_code == 405

    response = client.get(f"/api/v1/order-lines/export/?format=csv&order={order.order_no}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln]
    assert lines[0].startswith("order_no,sku,product,spec,quantity")
    assert len(lines) == 3 and all(ln.startswith(order.order_no) for ln in lines[1:])
