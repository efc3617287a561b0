# ruff: noqa: F811
"""Fixtures of the risk decisions, lists, freezes and admin tests: a risk officer (scope
all), regional ops, orders in a status, and cases opened through ``case_open``.

Import what a module needs: ``from tests.risk.admin_support import *  # noqa: F403``.
"""

from __future__ import annotations

import itertools

import pytest

from risk.demo import ROLE_PERMISSIONS
from tests.dispatch.conftest import (  # noqa: F401
    actor,
    category,
    clerk,
    make_sku,
    product_owner,
    province,
    put_stock,
    warehouses,
)
from tests.members.conftest import admin_client_for, make_member  # noqa: F401
from tests.orders.conftest import make_order, own_store, stocked_sku  # noqa: F401
from tests.orders.fulfilment_support import make_ops, waybills_for  # noqa: F401

OFFICER_PERMS = tuple(ROLE_PERMISSIONS["risk_officer"])
_phones = itertools.count(13700000001)
_fingerprints = itertools.count(1)


def _named(user, first: str, last: str):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def officer(make_ops):
    return _named(make_ops("risk_officer_t", perms=OFFICER_PERMS, regions=None), "风控", "王")


@pytest.fixture
def officer2(make_ops):
    return _named(make_ops("risk_officer_2", perms=OFFICER_PERMS, regions=None), "审核", "李")


@pytest.fixture
def east_ops(make_ops):
    """Regional order ops (east): reads their region's cases only."""
    return make_ops("ops_east_t", perms=("risk.view_riskcase",), regions=("east",))


@pytest.fixture
def north_officer(make_ops):
    """Holds every risk permission but only the north region's data."""
    return make_ops("risk_north_t", perms=OFFICER_PERMS, regions=("north",))


@pytest.fixture
def viewer(make_ops):
    return make_ops("risk_viewer_t", perms=("risk.view_riskcase",), regions=None)


@pytest.fixture
def buyer(make_member):
    return make_member(str(next(_phones)))


@pytest.fixture
def open_case(actor):
    """``open_case(order=…, member=…, kind=…, evidence=…)`` → an open case (as a rule
    or the scan opens it: system actor, SLA clock, notices)."""
    from risk.models import Point, RiskCase
    from risk.services.cases import case_open

    def make(*, order=None, member=None, kind=RiskCase.Kind.FREQUENT_PURCHASE, evidence=None):
        case, created = case_open(
            actor=actor,
            kind=kind,
            point=Point.ORDER_PLACE,
            rule="frequent_purchase",
            score=60,
            summary="同一 SKU 频繁下单",
            fingerprint=f"test:{next(_fingerprints)}",
            evidence=evidence or {"count": 6, "threshold": 5},
            member=member if member is not None else getattr(order, "member", None),
            order=order,
        )
        assert created
        return case

    return make
