# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""The storefront order API: preview, place (Idempotency-Key), list and detail own orders."""

from __future__ import annotations

import pytest

from dispatch.models import Stock
from mall.core import guard
from mall.core.guard import Verdict
from orders.models import Order
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    give_coupon,
    give_points,
    on_shelf_sku,
)

URL = "/api/v1/store/orders/"


def _body(sku, quantity=1, **extra):
    return {"address": SHANGHAI, "lines": [{"sku": sku.code, "quantity": quantity}], **extra}


def test_placing_answers_201_with_the_order_and_no_personal_data(
    buyer, on_shelf_sku, member_client, warehouses
):
    item = on_shelf_sku(10, price="45.50")
    client = member_client(buyer())

    answer = client.post(URL, _body(item, 2), format="json", HTTP_X_DEVICE_ID="dev-1")

    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert data["status"] == "pending_payment" and data["order_no"].startswith("DD")
    assert data["goods_amount"] == "91.00"
    assert data["shipping_amount"] == "10.00" and data["payable_amount"] == "101.00"
    assert data["expires_at"] and data["lines"][0]["sku"] == item.code
    assert data["lines"][0]["unit_price"] == "45.50" and data["lines"][0]["quantity"] == 2
    assert [step["code"] for step in data["steps"]][-1] == "total"
    assert "张三" not in answer.content.decode() and "13912345678" not in answer.content.decode()
    stock = Stock.objects.get(sku=item, warehouse=warehouses["WH-SH"])
    assert (stock.on_hand, stock.reserved) == (10, 2)


def test_the_same_idempotency_key_twice_places_one_order_and_another_body_is_422(
    buyer, on_shelf_sku, member_client, warehouses
):
    item = on_shelf_sku(10)
    client = member_client(buyer())

    first = client.post(URL, _body(item), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(URL, _body(item), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(URL, _body(item, 2), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["order_no"] == first.json()["order_no"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert Stock.objects.get(sku=item, warehouse=warehouses["WH-SH"]).reserved == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "X", "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "X", "quantity": "many"}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
        ({"address": {**SHANGHAI, "province": "火星"}}, "address.province"),
        ({"address": {**SHANGHAI, "detail": ""}}, "address.detail"),
        ({"address": None, "address_id": None}, "address"),
        ({"address_id": 999999}, "address"),
        ({"points": -5}, "points"),
        ({"coupon_id": 999999}, "coupon_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(buyer, on_shelf_sku, member_client, body, field):
    item = on_shelf_sku(10)
    payload = {**_body(item), **body}
    payload = {k: v for k, v in payload.items() if v is not None}

    answer = member_client(buyer()).post(URL, payload, format="json")

    assert answer.status_code == 400, answer.content
    fields = answer.json()["error"]["fields"]
    assert any(key == field or key.startswith(field + ".") for key in fields), fields
    assert not Order.objects.exists()


def test_more_than_the_stock_is_409_out_of_stock(buyer, on_shelf_sku, member_client):
    item = on_shelf_sku(1)

    answer = member_client(buyer()).post(URL, _body(item, 2), format="json")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "out_of_stock"
    assert not Order.objects.exists()


def test_a_risk_block_is_403_risk_blocked(buyer, on_shelf_sku, member_client):
    item = on_shelf_sku(5)
    guard.register_rule("order.place", "t", lambda **c: Verdict(decision="block"))
    try:
        answer = member_client(buyer()).post(URL, _body(item), format="json")
    finally:
        guard.unregister_rule("order.place", "t")

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "risk_blocked"
    assert not Order.objects.exists()


def test_a_switched_off_channel_is_400_channel_unavailable(
    buyer, on_shelf_sku, member_client, make_channel
):
    item = on_shelf_sku(5)
    answer = member_client(buyer()).post(URL, _body(item, channel="no-such"), format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "channel_unavailable"


def test_the_preview_answers_the_breakdown_and_reserves_nothing(
    buyer, on_shelf_sku, member_client, warehouses
):
    item = on_shelf_sku(3, price="150.00")

    answer = member_client(buyer()).post(URL + "preview/", _body(item, 2), format="json")

    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["payable_amount"] == "300.00" and data["items"][0]["line_amount"] == "300.00"
    assert data["promised_delivery_date"] and data["warehouses"][0]["warehouse_name"] == "上海仓"
    assert Stock.objects.get(sku=item, warehouse=warehouses["WH-SH"]).reserved == 0


def test_members_list_and_read_only_their_own_orders(buyer, on_shelf_sku, member_client):
    item = on_shelf_sku(10)
    alice, bob = buyer(), buyer()
    mine = member_client(alice).post(URL, _body(item), format="json").json()["order_no"]
    theirs = member_client(bob).post(URL, _body(item), format="json").json()["order_no"]

    listed = member_client(alice).get(URL)
    assert listed.status_code == 200
    assert [row["order_no"] for row in listed.json()["results"]] == [mine]
    assert listed.json()["results"][0]["shipments"][0]["status"] == "pending"

    detail = member_client(alice).get(f"{URL}{mine}/")
    assert detail.status_code == 200
    data = detail.json()
    assert data["address"]["phone"] == "13912345678"  # the member's own data, unmasked
    assert [event["type"] for event in data["events"]] == ["place"]

    assert member_client(alice).get(f"{URL}{theirs}/").status_code == 404
    assert member_client(alice).get(f"{URL}DD0000/").status_code == 404


def test_staff_tokens_cannot_place_orders(on_shelf_sku, staff_client, superuser):
    item = on_shelf_sku(5)
    answer = staff_client(superuser).post(URL, _body(item), format="json")
    assert answer.status_code in (401, 403)
    assert not Order.objects.exists()


def test_a_coupon_below_its_threshold_is_409_coupon_not_usable_naming_the_coupon(
    buyer, on_shelf_sku, member_client, give_coupon
):
    item = on_shelf_sku(5, price="30.00")
    member = buyer()
    coupon = give_coupon(member, amount="10.00", threshold="100.00")

    answer = member_client(member).post(
        URL + "preview/", _body(item, coupon_id=coupon.pk), format="json"
    )

    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "coupon_not_usable" and "coupon_id" in error["fields"]


def test_more_points_than_the_cap_is_a_400_naming_the_points(
    buyer, on_shelf_sku, member_client, give_points
):
    item = on_shelf_sku(5, price="30.00")
    member = give_points(buyer(), 100_000)

    answer = member_client(member).post(URL, _body(item, points=5000), format="json")

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "points_cap_exceeded" and "points" in error["fields"]
    assert not Order.objects.exists()
