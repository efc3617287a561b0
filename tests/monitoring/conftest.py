"""Fixtures of the monitoring tests: staff holding the demo roles' monitoring
permissions (through a real role, so role-addressed alerts and announcements reach
them), a metrics provider the test controls, and incidents in each status."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core import hooks
from mall.core.actors import system_actor
from ops.monitoring.demo import ROLE_PERMISSIONS
from ops.monitoring.metrics import HOOK

_numbers = itertools.count(1)


@pytest.fixture
def actor(db):
    return system_actor()


@pytest.fixture
def make_role_user(actor):
    """A staff user holding a new role with ``perms`` (scope all); returns (user, role)."""
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import ScopeKind

    def make(username: str, perms=()):
        number = next(_numbers)
        user = get_user_model().objects.create_user(
            username=username, password="mall-demo-2026", is_staff=True
        )
        role = rbac_services.role_create(
            actor=actor,
            code=f"mon_role_{number}",
            name=f"监控角色{number}",
            permissions=tuple(perms),
            scope_kind=ScopeKind.ALL,
        )
        rbac_services.role_assign(actor=actor, user=user, role=role)
        return get_user_model().objects.get(pk=user.pk), role

    return make


@pytest.fixture
def tech_lead(make_role_user):
    return make_role_user("tech_lead_t", ROLE_PERMISSIONS["tech_lead"])[0]


@pytest.fixture
def ops_lead(make_role_user):
    return make_role_user("ops_lead_t", ROLE_PERMISSIONS["ops_lead"])[0]


@pytest.fixture
def cs_agent(make_role_user):
    return make_role_user("cs_agent_t", ())[0]


@pytest.fixture
def fake_metrics():
    """Replace every ``ops.metrics`` provider by one returning ``values`` (edit it)."""
    values: dict = {}
    saved = dict(hooks._providers.get(HOOK, {}))
    hooks._providers[HOOK] = {"test": lambda *, now: dict(values)}
    yield values
    hooks._providers[HOOK] = saved


@pytest.fixture
def open_incident(tech_lead):
    from ops.monitoring.services.incidents import incident_open

    return incident_open(
        actor=tech_lead,
        title="订单列表 502",
        severity="major",
        started_at=timezone.now() - timedelta(hours=1),
        impact="后台订单列表打不开",
    )
