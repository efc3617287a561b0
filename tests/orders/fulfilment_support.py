"""Fixtures of the fulfilment tests (review, shipping, receipt, …): staff with a region
scope and order permissions, the order clocks, orders in a status.

Import the fixtures a test module needs: ``from tests.orders.fulfilment_support import
make_ops, reviewer, …  # noqa: F401``.
"""

from __future__ import annotations

import itertools

import pytest

_users = itertools.count(1)

REVIEW_PERMS = ("orders.view_order", "orders.review_order")


@pytest.fixture
def make_ops(actor):
    """Staff with a role over ``regions`` (sales region codes; ``None`` = all data)."""
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    def make(username: str | None = None, *, perms=REVIEW_PERMS, regions=("east",)):
        number = next(_users)
        user = get_user_model().objects.create_user(
            username=username or f"ops{number}", password="mall-demo-2026", is_staff=True
        )
        if regions is None:
            scope = {"scope_kind": ScopeKind.ALL}
        else:
            scope = {
                "scope_kind": ScopeKind.REGIONS,
                "regions": list(SalesRegion.objects.filter(code__in=regions)),
            }
        role = rbac_services.role_create(
            actor=actor,
            code=f"ops_role_{number}",
            name=f"运营{number}",
            permissions=tuple(perms),
            **scope,
        )
        rbac_services.role_assign(actor=actor, user=user, role=role)
        return get_user_model().objects.get(pk=user.pk)

    return make


@pytest.fixture
def reviewer(make_ops):
    return make_ops("reviewer1")


@pytest.fixture
def buyer(make_member):
    return make_member("13800000001")


def running_clock(kind: str, subject):
    """The running SLA clock of ``kind`` on ``subject`` (or ``None``)."""
    from django.contrib.contenttypes.models import ContentType

    from ops.models import SlaClock

    return SlaClock.objects.filter(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=str(subject.pk),
        closed_at__isnull=True,
    ).first()


def clocks(kind: str, subject):
    """Every SLA clock of ``kind`` on ``subject``, oldest first."""
    from django.contrib.contenttypes.models import ContentType

    from ops.models import SlaClock

    return list(
        SlaClock.objects.filter(
            kind=kind,
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=str(subject.pk),
        ).order_by("id")
    )


def start_review_clock(order, *, minutes_ago: int = 0):
    """Start the review clock as payment does (``minutes_ago`` back in time)."""
    from datetime import timedelta

    from django.utils import timezone

    from mall.core.actors import system_actor
    from ops.services.sla import sla_clock_start

    return sla_clock_start(
        kind="order.review",
        subject=order,
        actor=system_actor(),
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        region=order.region_id,
    )


SHIP_PERMS = ("orders.view_order", "orders.ship_order", "dispatch.change_shipment")


@pytest.fixture
def shipper(make_ops):
    """East China ops who may ship (orders and dispatch permissions, WH-SH in scope)."""
    return make_ops("shipper1", perms=SHIP_PERMS)


def shipments_of(order):
    from dispatch.models import Shipment

    return list(Shipment.objects.filter(order_no=order.order_no).order_by("pk"))


def waybills_for(order, prefix: str = "SF") -> dict:
    return {
        s.pk: (f"{prefix}{s.pk:08d}", None) for s in shipments_of(order) if s.status == "pending"
    }
