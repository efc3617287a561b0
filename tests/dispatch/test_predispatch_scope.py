"""Pre-dispatch for a scoped caller: planned over their warehouses only, revealing nothing else."""

from __future__ import annotations

import pytest

from dispatch import services

pytestmark = pytest.mark.django_db

URL = "/api/v1/dispatch/predispatch/"


@pytest.fixture
def east_planner(actor):
    """Regional ops for 华东 (WH-SH) who may ask for pre-dispatch plans."""
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    user = get_user_model().objects.create_user(
        username="east_planner", password="mall-demo-2026", is_staff=True
    )
    role = rbac_services.role_create(
        actor=actor,
        code="east_planner_t",
        name="华东计划",
        scope_kind=ScopeKind.REGIONS,
        regions=[SalesRegion.objects.get(code="east")],
        permissions=("dispatch.view_allocation",),
    )
    rbac_services.role_assign(actor=actor, user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def _ask(client, sku, quantity: int, province: str = "上海"):
    body = {"province": province, "lines": [{"sku": sku.code, "quantity": quantity}]}
    return client.post(URL, body, format="json")


def test_a_scoped_caller_is_planned_over_the_warehouses_in_their_scope_only(
    east_planner, superuser, staff_client, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    put_stock(warehouses["WH-BJ"], sku, 5)

    whole = _ask(staff_client(superuser), sku, 3)
    assert whole.status_code == 200
    assert [s["warehouse"] for s in whole.json()["shipments"]] == ["WH-BJ"]

    scoped = _ask(staff_client(east_planner), sku, 1)
    assert scoped.status_code == 200
    assert [s["warehouse"] for s in scoped.json()["shipments"]] == ["WH-SH"]

    short = _ask(staff_client(east_planner), sku, 3)
    assert short.status_code == 409
    assert short.json()["error"]["code"] == "out_of_stock"
    assert "WH-BJ" not in short.content.decode()


def test_out_of_stock_in_scope_reads_the_same_whether_or_not_other_warehouses_hold_stock(
    east_planner, staff_client, warehouses, make_sku, put_stock
):
    held_elsewhere = make_sku("HELD-ELSEWHERE")
    held_nowhere = make_sku("HELD-NOWHERE")
    put_stock(warehouses["WH-BJ"], held_elsewhere, 50)
    put_stock(warehouses["WH-GZ"], held_elsewhere, 50)
    client = staff_client(east_planner)

    first = _ask(client, held_elsewhere, 2)
    second = _ask(client, held_nowhere, 2)

    assert first.status_code == second.status_code == 409
    assert first.json()["error"]["code"] == "out_of_stock"
    normalised = first.content.decode().replace("HELD-ELSEWHERE", "HELD-NOWHERE")
    assert normalised == second.content.decode()


def test_a_caller_with_no_covering_warehouse_in_scope_gets_not_deliverable(
    east_planner, staff_client, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-BJ"], sku, 5)

    response = _ask(staff_client(east_planner), sku, 1, province="北京")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_deliverable"
    assert "WH-BJ" not in response.content.decode()


def test_the_system_actor_still_plans_over_every_covering_warehouse(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-BJ"], sku, 5)

    plan = services.predispatch(actor=actor, province="上海", lines=[(sku.code, 2)])

    assert [s.warehouse.code for s in plan.shipments] == ["WH-BJ"]


def test_a_caller_without_any_data_scope_gets_no_plan(
    make_staff, staff_client, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    viewer = make_staff("unscoped_viewer", perms=("dispatch.view_allocation",))

    response = _ask(staff_client(viewer), sku, 1)

    assert response.status_code == 409
    assert "WH-SH" not in response.content.decode()
