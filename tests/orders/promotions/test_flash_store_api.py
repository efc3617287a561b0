# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""``GET /api/v1/store/flash-sessions/``: running and upcoming sessions, public, per API.md;
and the demo's flash sessions (``orders/demo_flash.py``)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from mall.core.actors import system_actor
from orders import permissions as perms
from orders.models import ApprovalStatus, FlashSession, FlashSessionItem
from orders.promotions import flash
from tests.orders.checkout_support import on_shelf_sku  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
P = ApprovalStatus
URL = "/api/v1/store/flash-sessions/"


@pytest.fixture
def people(make_staff):
    creator = make_staff(
        "mkt", perms=(perms.VIEW_FLASH_SESSION, perms.ADD_FLASH_SESSION, perms.CHANGE_FLASH_SESSION)
    )
    approver = make_staff("lead", perms=(perms.VIEW_FLASH_SESSION, perms.APPROVE_FLASH_SESSION))
    return creator, approver


def _session(people, sku, *, starts_in, quota=10, approve=True, name="秒杀"):
    creator, approver = people
    starts = timezone.now() + starts_in
    session = flash.flash_session_create(
        actor=creator,
        name=name,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        unpaid_minutes=5,
        items=[
            {"sku": sku, "flash_price": Decimal("59.00"), "quota": quota, "per_member_limit": 2}
        ],
    )
    if approve:
        flash.flash_session_submit(actor=creator, session=session)
        flash.flash_session_approve(actor=approver, session=session)
    return session


def test_running_and_upcoming_sessions_in_the_api_shape(people, on_shelf_sku):
    running_sku, upcoming_sku, draft_sku = on_shelf_sku(30), on_shelf_sku(30), on_shelf_sku(30)
    running = _session(people, running_sku, starts_in=timedelta(minutes=-10), quota=10)
    flash.flash_session_open(actor=system_actor(), session=running)
    FlashSessionItem.objects.filter(session=running).update(sold=3, held=7)
    upcoming = _session(people, upcoming_sku, starts_in=timedelta(days=1), quota=5)
    _session(people, draft_sku, starts_in=timedelta(days=1), approve=False, name="草稿")

    response = APIClient().get(URL)  # no credentials: public browsing
    assert response.status_code == 200
    body = response.json()
    assert [s["id"] for s in body] == [running.pk, upcoming.pk]  # no draft
    first, second = body
    assert {"id", "starts_at", "ends_at", "status", "items"} <= set(first)
    assert first["status"] == "running" and second["status"] == "upcoming"
    assert first["items"] == [
        {
            "sku": running_sku.code,
            "title": running_sku.product.title,
            "price": "99.00",
            "flash_price": "59.00",
            "remaining": 7,
            "per_member_limit": 2,
        }
    ]
    assert second["items"][0]["remaining"] == 5  # the quota before it runs
    assert second["items"][0]["sku"] == upcoming_sku.code


def test_an_approved_session_whose_window_started_is_listed_as_running(people, on_shelf_sku):
    sku = on_shelf_sku(30)
    session = _session(people, sku, starts_in=timedelta(minutes=-1), quota=4)
    body = APIClient().get(URL).json()
    assert [(s["id"], s["status"]) for s in body] == [(session.pk, "running")]
    assert body[0]["items"][0]["remaining"] == 4
    assert FlashSession.objects.get(pk=session.pk).status == P.RUNNING  # opened lazily


def test_no_sessions_is_an_empty_list():
    response = APIClient().get(URL)
    assert response.status_code == 200 and response.json() == []


def test_the_endpoint_is_in_the_schema_as_a_list():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    answer = schema["paths"]["/api/v1/store/flash-sessions/"]["get"]["responses"]["200"]
    content = answer["content"]["application/json"]["schema"]
    assert content["type"] == "array"


# --- the demo ---------------------------------------------------------------------------


@pytest.fixture
def demo_world(django_user_model):
    from catalog import demo as catalog_demo
    from dispatch import demo as dispatch_demo
    from rbac import demo as rbac_demo

    django_user_model.objects.create_superuser("admin", "a@example.com", "mall-demo-2026")
    out = io.StringIO()
    rbac_demo.seed(stdout=out)
    catalog_demo.seed(stdout=out)
    dispatch_demo.seed(stdout=out)
    return out


def test_the_demo_runs_a_session_of_the_ten_flash_units_and_an_upcoming_one(demo_world):
    from catalog.availability import sellable_stock
    from catalog.models import Sku
    from dispatch.selectors import stock_ledger_mismatches
    from orders import demo_flash

    demo_flash.seed_flash(io.StringIO())
    running = demo_flash.running_session()
    assert running is not None
    assert running.created_by.username == "marketing"
    assert running.approved_by.username == "ops_lead"
    item = running.items.get()
    assert item.sku.code == "DEMO-FLASH-001"
    assert item.quota == 10 and item.held == 10 and item.sold == 0
    assert item.flash_price_amount < item.reference_price_amount
    flash_sku = Sku.objects.get(code="DEMO-FLASH-001")
    assert sellable_stock([flash_sku.pk]) == {flash_sku.pk: 0}  # all 10 held for the sale
    assert stock_ledger_mismatches(actor=system_actor()) == []

    upcoming = FlashSession.objects.get(name=demo_flash.UPCOMING_NAME)
    assert upcoming.status == P.APPROVED and upcoming.starts_at > timezone.now()
    assert upcoming.items.count() == 2
    assert not upcoming.items.filter(sku__code="DEMO-FLASH-001").exists()

    body = APIClient().get(URL).json()
    assert [s["status"] for s in body] == ["running", "upcoming"]
    assert body[0]["items"][0]["sku"] == "DEMO-FLASH-001"
    assert body[0]["items"][0]["remaining"] == 10

    # the roles: marketing writes, ops_lead approves
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(["marketing", "ops_lead"], field_name="username")
    assert users["marketing"].has_perm(perms.ADD_FLASH_SESSION)
    assert not users["marketing"].has_perm(perms.APPROVE_FLASH_SESSION)
    assert users["ops_lead"].has_perm(perms.APPROVE_FLASH_SESSION)

    before = (FlashSession.objects.count(), FlashSessionItem.objects.count())
    demo_flash.seed_flash(io.StringIO())
    assert (FlashSession.objects.count(), FlashSessionItem.objects.count()) == before
