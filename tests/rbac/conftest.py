"""RBAC fixtures: a department tree, staff with one role of a given scope, approvers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from mall.core.actors import system_actor
from rbac import services
from rbac.models import SalesRegion

PASSWORD = "mall-demo-2026"


@pytest.fixture
def system(db):
    return system_actor()


@pytest.fixture
def regions(db):
    return {region.code: region for region in SalesRegion.objects.all()}


@pytest.fixture
def tree(system):
    """总部 → 运营部 → 华东运营组; 总部 → 财务部."""
    root = services.department_create(actor=system, code="hq", name="总部")
    ops = services.department_create(actor=system, code="ops", name="运营部", parent=root)
    east = services.department_create(actor=system, code="ops-east", name="华东运营组", parent=ops)
    finance = services.department_create(actor=system, code="finance", name="财务部", parent=root)
    return {"root": root, "ops": ops, "ops_east": east, "finance": finance}


@pytest.fixture
def make_user(system):
    counter = {"n": 0}

    def make(username: str, department=None, **kwargs):
        counter["n"] += 1
        user = services.staff_create(
            actor=system,
            username=username,
            employee_number=f"E{counter['n']:04d}",
            department=department,
            password=PASSWORD,
            **kwargs,
        )
        return get_user_model().objects.get(pk=user.pk)

    return make


@pytest.fixture
def make_role(system, regions):
    def make(code: str, kind: str = "none", perms=(), region_codes=(), department=None):
        return services.role_create(
            actor=system,
            code=code,
            name=code,
            scope_kind=kind,
            regions=[regions[c] for c in region_codes],
            permissions=perms,
            department=department,
        )

    return make


def fresh(user):
    """Reload a user so permission and scope caches start empty."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def people(system, tree, make_user, make_role):
    """A requester in 华东运营组, its (inherited) head, another head, a tech lead, a role."""
    head = make_user("ops_head", tree["ops"])
    services.department_update(actor=system, department=tree["ops"], head=head)
    other_head = make_user("fin_head", tree["finance"])
    services.department_update(actor=system, department=tree["finance"], head=other_head)
    approver_role = make_role("tech-lead", perms=["rbac.approve_permission_request"])
    tech = make_user("tech", tree["root"])
    services.role_assign(actor=system, user=tech, role=approver_role)
    requester = make_user("requester", tree["ops_east"])  # head comes from the parent 运营部
    wanted = make_role("wanted", "all", perms=["rbac.view_staffprofile"])
    return {
        "head": fresh(head),
        "other_head": fresh(other_head),
        "tech": fresh(tech),
        "requester": fresh(requester),
        "role": wanted,
        "approver_role": approver_role,
    }


@pytest.fixture
def east_clerk(system, tree, regions, make_user, make_role):
    """A clerk who sees tickets of the east region (the scopetest app)."""
    role = make_role(
        "east-clerk",
        "regions",
        perms=["scopetest.view_ticket", "scopetest.view_ticketnote", "scopetest.change_ticketnote"],
        region_codes=["east"],
    )
    user = make_user("east_clerk", tree["ops"])
    services.role_assign(actor=system, user=user, role=role)
    return fresh(user)


def ticket_in(title, region, **kwargs):
    """A ticket of the test-only scopetest app in ``region``."""
    from tests.scopetest.models import Ticket

    return Ticket.objects.create(title=title, region=region, **kwargs)
