# ruff: noqa: F811 - fixtures imported from the fulfilment helpers are parameters here
"""The order page's buttons and the list's batch actions call the order services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from dispatch.models import Shipment, Stock
from ops.models import AuditEntry
from orders.models import Order, OrderEvent
from tests.orders.fulfilment_support import make_ops  # noqa: F401

pytestmark = pytest.mark.django_db

OPS_PERMS = (
    "orders.view_order",
    "orders.review_order",
    "orders.warehouse_approve_order",
    "orders.ship_order",
    "orders.cancel_order",
    "orders.freeze_order",
    "orders.change_order",
    "orders.export_order",
    "dispatch.change_shipment",
    "dispatch.view_shipment",
)


@pytest.fixture
def ops(make_ops):
    return make_ops("ops_buttons", perms=OPS_PERMS)


@pytest.fixture
def client_for(admin_client_for):
    return admin_client_for


def _button(order, name: str) -> str:
    change = reverse("admin:orders_order_change", args=[order.pk])
    return f"{change.removesuffix('change/')}{name.replace('_', '-')}/"


def _press(client, order, name: str, **data):
    return client.post(_button(order, name), {"_form_submitted": "on", **data})


def _events(order) -> list[str]:
    return list(
        OrderEvent.objects.filter(order=order).order_by("id").values_list("type", flat=True)
    )


def test_the_page_offers_only_the_buttons_the_state_and_permissions_allow(
    client_for, ops, make_ops, make_member, make_order, stocked_sku
):
    order = make_order(make_member(), [(stocked_sku(), 1)], status="pending_review")
    html = client_for(ops).get(reverse("admin:orders_order_change", args=[order.pk])).content
    html = html.decode()
    assert "approve/" in html and "reject/" in html and "freeze/" in html
    assert "ship/" not in html and "unfreeze/" not in html and "confirm-receipt/" not in html

    viewer = make_ops("viewer_only", perms=("orders.view_order",))
    html = client_for(viewer).get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "approve/" not in html.content.decode()
    assert _press(client_for(viewer), order, "approve").status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW


def test_approve_then_warehouse_approve_then_ship_with_a_waybill_then_confirm(
    client_for, ops, make_member, make_order, stocked_sku, warehouses
):
    sku = stocked_sku(10)
    order = make_order(make_member(), [(sku, 2)], status="pending_review")
    client = client_for(ops)

    assert client.get(_button(order, "approve")).status_code == 200  # the dialog
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_REVIEW, "a GET never takes the step"

    response = _press(client, order, "approve")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.APPROVED
    assert order.reviewed_by_id == ops.pk

    _press(client, order, "warehouse_approve")
    order.refresh_from_db()
    assert order.status == Order.Status.ALLOCATED

    wrong = _press(client, order, "ship", waybill_nos="SF1\nSF2")
    assert wrong.status_code == 200  # refused in the dialog: one shipment waits
    order.refresh_from_db()
    assert order.status == Order.Status.ALLOCATED

    done = _press(client, order, "ship", waybill_nos="SF0000000001")
    assert done.status_code == 302, done.content[:400]
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    shipment = Shipment.objects.get(order_no=order.order_no)
    assert shipment.waybill_no == "SF0000000001"
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    assert (stock.on_hand, stock.reserved) == (8, 0)

    _press(client, order, "confirm_receipt")
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    events = _events(order)
    steps = ["approve", "warehouse_approve", "ship", "confirm_receipt"]
    assert [e for e in events if e in steps] == steps

    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "SF0000000001" in page
    assert "订单已发货" in page


def test_hold_needs_a_reason_and_lands_on_the_timeline(
    client_for, ops, make_member, make_order, stocked_sku
):
    order = make_order(make_member(), [(stocked_sku(), 1)], status="pending_review")
    client = client_for(ops)
    assert _press(client, order, "reject", reason="  ").status_code == 200
    order.refresh_from_db()
    assert not order.is_review_held

    _press(client, order, "reject", reason="收货人电话空号")
    order.refresh_from_db()
    assert order.is_review_held and "空号" in order.review_hold_reason
    assert OrderEvent.objects.filter(order=order, reason__contains="空号").exists()


def test_freeze_blocks_approval_and_release_restores_it(
    client_for, ops, make_member, make_order, stocked_sku
):
    order = make_order(make_member(), [(stocked_sku(), 1)], status="pending_review")
    client = client_for(ops)
    _press(client, order, "freeze", reason="疑似刷单")
    order.refresh_from_db()
    assert order.is_frozen
    assert _press(client, order, "approve").status_code == 403  # not offered while frozen
    _press(client, order, "unfreeze", reason="核实无误")
    order.refresh_from_db()
    assert not order.is_frozen
    assert AuditEntry.objects.filter(action__in=["order.freeze", "order.unfreeze"]).count() == 2


def test_cancel_by_button_before_review_releases_the_stock(
    client_for, ops, make_member, make_order, stocked_sku, warehouses
):
    sku = stocked_sku(5)
    order = make_order(make_member(), [(sku, 2)], status="pending_review")
    _press(client_for(ops), order, "cancel", reason="客户要求取消")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    assert (stock.on_hand, stock.reserved) == (5, 0)


def test_batch_approve_reports_done_and_failed_orders(
    client_for, ops, make_member, make_order, stocked_sku
):
    member = make_member()
    good = make_order(member, [(stocked_sku(), 1)], status="pending_review")
    frozen = make_order(member, [(stocked_sku(), 1)], status="pending_review", is_frozen=True)
    response = client_for(ops).post(
        reverse("admin:orders_order_changelist"),
        {"action": "approve_selected", "_selected_action": [good.pk, frozen.pk], "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    good.refresh_from_db()
    frozen.refresh_from_db()
    assert good.status == Order.Status.APPROVED
    assert frozen.status == Order.Status.PENDING_REVIEW
    messages = [str(m) for m in response.context["messages"]]
    assert any(frozen.order_no in m for m in messages)


def test_batch_ship_asks_a_waybill_per_shipment_then_ships_those_given(
    client_for, ops, make_member, make_order, stocked_sku
):
    member = make_member()
    first = make_order(member, [(stocked_sku(), 1)], status="approved")
    second = make_order(member, [(stocked_sku(), 1)], status="approved")
    client = client_for(ops)
    changelist = reverse("admin:orders_order_changelist")

    page = client.post(
        changelist,
        {"action": "ship_selected", "_selected_action": [first.pk, second.pk], "index": 0},
    )
    assert page.status_code == 200
    html = page.content.decode()
    shipment = Shipment.objects.get(order_no=first.order_no)
    assert f'name="waybill_{shipment.pk}"' in html

    client.post(
        changelist,
        {
            "action": "ship_selected",
            "_selected_action": [first.pk, second.pk],
            "apply": "1",
            f"waybill_{shipment.pk}": "YT0000000009",
        },
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Order.Status.SHIPPED
    assert second.status == Order.Status.APPROVED  # no waybill given: left alone


def test_export_button_queues_the_order_records_export_for_the_reader(
    client_for, ops, make_member, make_order, stocked_sku
):
    from mall.core.models import FileJob

    make_order(make_member(), [(stocked_sku(), 1)], status="pending_review")
    client = client_for(ops)
    changelist = reverse("admin:orders_order_changelist")
    response = client.get(
        changelist + "export-records/", HTTP_REFERER=f"http://testserver{changelist}?tab=frozen"
    )
    assert response.status_code == 302
    job = FileJob.objects.get(requested_by=ops)
    assert ["tab", "frozen"] in job.parameters["query"]
    assert job.parameters["format"] == "xlsx"


def test_amounts_on_the_page_are_decimals_to_the_cent(
    client_for, ops, make_member, make_order, stocked_sku
):
    order = make_order(make_member(), [(stocked_sku(price="12.34"), 3)], status="pending_review")
    assert order.total_amount == Decimal("37.02")
    html = client_for(ops).get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "37.02" in html.content.decode()
