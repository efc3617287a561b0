"""Fixtures of the after-sales and review tests (imported by those test modules).

``staff(username, perms, scope="all", regions=())`` makes a staff user with one role;
``cs_agent`` (customer service, all regions), ``cs_east`` (customer service, region
east only) and ``finance`` are the people of the flows; ``received_order`` is a
completed order of two units delivered today; ``clock`` reads an SLA clock.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

CS_PERMS = (
    "orders.view_order",
    "orders.view_aftersale",
    "orders.review_aftersale",
    "orders.receive_aftersale",
    "orders.view_review",
    "orders.reply_review",
    "orders.hide_review",
)
FINANCE_PERMS = ("orders.view_order", "orders.view_aftersale", "orders.refund_aftersale")


@pytest.fixture
def staff(db):
    from django.contrib.auth import get_user_model

    from mall.core.actors import system_actor
    from rbac import services as rbac_services
    from rbac.models import SalesRegion

    def make(username: str, perms=(), *, scope: str = "all", regions=()):
        actor = system_actor()
        role = rbac_services.role_create(
            actor=actor,
            code=f"role-{username}".replace("_", "-"),
            name=f"role {username}",
            scope_kind=scope,
            regions=list(SalesRegion.objects.filter(code__in=regions)),
            permissions=list(perms),
        )
        user = get_user_model().objects.create_user(
            username=username, password="mall-demo-2026", is_staff=True
        )
        rbac_services.role_assign(actor=actor, user=user, role=role)
        return get_user_model().objects.get(pk=user.pk)

    return make


@pytest.fixture
def cs_agent(staff):
    return staff("cs_agent", CS_PERMS)


@pytest.fixture
def cs_north(staff):
    return staff("cs_north", CS_PERMS, scope="regions", regions=["north"])


@pytest.fixture
def finance(staff):
    return staff("finance", FINANCE_PERMS)


@pytest.fixture
def sku(stocked_sku):
    return stocked_sku(50)


@pytest.fixture
def buyer(make_member):
    return make_member()


@pytest.fixture
def received_order(make_order, buyer, sku):
    """A completed order of 2 × 99.00 (paid 198.00), delivered and completed now."""
    now = timezone.now()
    return make_order(buyer, [(sku, 2)], status="completed", delivered_at=now, completed_at=now)


@pytest.fixture
def clock():
    from django.contrib.contenttypes.models import ContentType

    from ops.models import SlaClock

    def read(kind: str, subject):
        return (
            SlaClock.objects.filter(
                kind=kind,
                subject_type=ContentType.objects.get_for_model(type(subject)),
                subject_id=str(subject.pk),
            )
            .order_by("-id")
            .first()
        )

    return read


def money(text: str) -> Decimal:
    return Decimal(text)
