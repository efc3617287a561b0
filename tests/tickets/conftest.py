# ruff: noqa: F401, F811 - fixtures re-used from the orders tests
"""Fixtures of the customer-service tests: members with orders in two regions, an agent
(scope all), regional ops, a supervisor, and tickets made through the services."""

from __future__ import annotations

import pytest

from ops.tickets.demo import ROLE_PERMISSIONS
from tests.orders.conftest import (
    actor,
    admin_client_for,
    category,
    clerk,
    make_member,
    make_order,
    make_sku,
    member_client,
    own_store,
    product_owner,
    province,
    put_stock,
    stocked_sku,
    warehouses,
)
from tests.orders.fulfilment_support import make_ops

AGENT = tuple(ROLE_PERMISSIONS["customer_service"])
SUPERVISOR = tuple(ROLE_PERMISSIONS["ops_lead"])


def _named(user, first: str, last: str):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def agent(make_ops):
    return _named(make_ops("cs_test_agent", perms=AGENT, regions=None), "小客", "张")


@pytest.fixture
def other_agent(make_ops):
    return _named(make_ops("cs_test_agent2", perms=AGENT, regions=None), "小服", "李")


PLAIN_AGENT = ("tickets.view_ticket", "tickets.change_ticket")  # no tickets.assign_ticket


@pytest.fixture
def plain_agents(make_ops):
    """Two agents (scope all) who may take tickets but not hand them over."""
    return [
        _named(make_ops(f"cs_test_plain{n}", perms=PLAIN_AGENT, regions=None), "小平", f"王{n}")
        for n in (1, 2)
    ]


@pytest.fixture
def supervisor(make_ops):
    return _named(make_ops("cs_test_lead", perms=SUPERVISOR, regions=None), "主管", "刘")


@pytest.fixture
def east_ops(make_ops):
    return make_ops("cs_test_east", perms=("tickets.view_ticket",), regions=("east",))


@pytest.fixture
def buyer(make_member):
    return make_member("13800000001")


@pytest.fixture
def stranger(make_member):
    return make_member("13800000002")


@pytest.fixture
def orders_(make_order, stocked_sku, buyer, stranger):
    sku = stocked_sku()
    return {
        "east": make_order(buyer, [(sku, 1)], status="paid"),
        "north": make_order(
            buyer, [(sku, 1)], status="paid", province_name="北京", allocate_stock=False
        ),
        "foreign": make_order(stranger, [(sku, 1)], status="paid"),
    }


@pytest.fixture
def open_ticket(buyer):
    """A ticket ``buyer`` opened from the storefront (no order)."""
    from ops.tickets.services.tickets import ticket_create

    def make(member=None, **fields):
        member = member or buyer
        values = {"category": "delivery", "subject": "包裹没到", "body": "三天没有物流"}
        values.update(fields)
        return ticket_create(actor=member, member=member, **values)

    return make
