# ruff: noqa: F811 - fixtures imported from other modules are parameters here
"""``POST /api/v1/store/events/``: counted views, 202 for unknown objects, bad input, rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.orders.checkout_support import buyer, on_shelf_sku  # noqa: F401

URL = "/api/v1/store/events/"


def _views(event_type: str, object_id: int) -> int:
    from orders.models import StoreEventCount

    row = StoreEventCount.objects.filter(
        type=event_type, object_id=object_id, day=timezone.localdate()
    ).first()
    return row.views if row else 0


def _set_rate(per_minute: int) -> None:
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    SystemParameter.objects.update_or_create(
        key="promotions.events_per_minute", defaults={"value": per_minute}
    )
    forget_cached("promotions.events_per_minute")


@pytest.fixture
def session(db, on_shelf_sku):
    from django.contrib.auth import get_user_model

    from orders.models import FlashSession

    creator = get_user_model().objects.create_user(username="mkt-events", password="x-x-x-x-1")
    now = timezone.now()

    def make(status: str = "running"):
        return FlashSession.objects.create(
            name="午间秒杀",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
            status=status,
            created_by=creator,
        )

    return make


def test_views_of_a_product_and_a_session_are_counted_per_day(on_shelf_sku, session):
    product_id = on_shelf_sku().product_id
    running = session()
    client = APIClient()
    for _ in range(3):
        answer = client.post(URL, {"type": "product_view", "object_id": product_id}, format="json")
        assert answer.status_code == 202
    assert (
        client.post(
            URL, {"type": "session_view", "object_id": running.pk}, format="json"
        ).status_code
        == 202
    )

    assert _views("product_view", product_id) == 3
    assert _views("session_view", running.pk) == 1
    # one row per (type, object, day), whatever the number of views
    from orders.models import StoreEventCount

    assert StoreEventCount.objects.filter(type="product_view").count() == 1


def test_a_member_token_counts_like_a_guest(on_shelf_sku, buyer, member_client):
    product_id = on_shelf_sku().product_id
    answer = member_client(buyer()).post(
        URL, {"type": "product_view", "object_id": product_id}, format="json"
    )
    assert answer.status_code == 202
    assert _views("product_view", product_id) == 1


def test_unknown_or_hidden_objects_are_answered_alike_and_not_counted(on_shelf_sku, session):
    from catalog.models import Product
    from orders.models import StoreEventCount

    draft_product = on_shelf_sku()
    Product.objects.filter(pk=draft_product.product_id).update(status=Product.Status.DRAFT)
    draft_session = session(status="draft")
    client = APIClient()
    for body in (
        {"type": "product_view", "object_id": 987654321},
        {"type": "product_view", "object_id": draft_product.product_id},
        {"type": "session_view", "object_id": draft_session.pk},
        {"type": "session_view", "object_id": 987654321},
    ):
        answer = client.post(URL, body, format="json")
        assert answer.status_code == 202, body
        assert answer.json() == {"status": "accepted"}
    assert not StoreEventCount.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"type": "cart_add", "object_id": 1},
        {"type": "product_view"},
        {"type": "product_view", "object_id": "abc"},
        {"type": "product_view", "object_id": 0},
        {"object_id": 1},
    ],
)
def test_bad_input_is_a_400_in_the_error_shape(db, body):
    answer = APIClient().post(URL, body, format="json")
    assert answer.status_code == 400
    payload = answer.json()
    assert payload["error"]["code"] == "invalid"
    assert payload["error"]["fields"]


def test_the_rate_limit_is_the_parameter_per_client_ip(on_shelf_sku):
    product_id = on_shelf_sku().product_id
    _set_rate(3)
    body = {"type": "product_view", "object_id": product_id}
    first = APIClient(REMOTE_ADDR="10.1.1.1")
    answers = [first.post(URL, body, format="json").status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    assert first.post(URL, body, format="json").json()["error"]["code"] == "throttled"
    # another address has its own allowance; refused views were not counted
    assert APIClient(REMOTE_ADDR="10.1.1.2").post(URL, body, format="json").status_code == 202
    assert _views("product_view", product_id) == 4


def test_a_member_has_an_allowance_of_its_own(on_shelf_sku, buyer, member_client):
    product_id = on_shelf_sku().product_id
    _set_rate(2)
    body = {"type": "product_view", "object_id": product_id}
    guest = APIClient(REMOTE_ADDR="10.2.2.2")
    assert [guest.post(URL, body, format="json").status_code for _ in range(3)] == [202, 202, 429]
    # the same address with a member token: counted per member, not per IP
    member = member_client(buyer())
    member.defaults["REMOTE_ADDR"] = "10.2.2.2"
    assert [member.post(URL, body, format="json").status_code for _ in range(3)] == [
        202,
        202,
        429,
    ]
