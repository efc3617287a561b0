"""The demo departments, roles and staff (DESIGN.md §7) with least privilege."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from mall.core.scoping import scope_queryset
from rbac import demo
from rbac.models import Department, Role
from tests.scopetest.models import Ticket


@pytest.fixture
def seeded(db):

    get_user_model().objects.create_superuser("admin", password="x")
    demo.seed(stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


def test_seeding_twice_changes_nothing(seeded):
    counts = (Department.objects.count(), Role.objects.count(), get_user_model().objects.count())
    demo.seed(stdout=io.StringIO())
    assert counts == (
        Department.objects.count(),
        Role.objects.count(),
        get_user_model().objects.count(),
    )


def test_the_demo_staff_log_in_with_the_demo_password_and_hold_their_roles(seeded):
    for username, (_n, _d, roles, *_rest) in demo.STAFF.items():
        user = seeded[username]
        assert user.is_staff and user.check_password(demo.DEMO_PASSWORD)
        assert set(Role.objects.filter(group__user=user).values_list("code", flat=True)) == set(
            roles
        )
    assert Department.objects.get(code="ops").head.username == "ops_lead"
    assert Department.objects.get(code="tech").head.username == "tech_lead"


def test_ops_east_and_ops_north_see_only_their_region(seeded, db):
    from rbac.models import SalesRegion

    for region in SalesRegion.objects.all():
        Ticket.objects.create(title=region.code, region=region)
    user_model = get_user_model()
    east = scope_queryset(user_model.objects.get(username="ops_east"), Ticket.objects.all())
    north = scope_queryset(user_model.objects.get(username="ops_north"), Ticket.objects.all())
    assert [t.title for t in east] == ["east"]
    assert [t.title for t in north] == ["north"]


def test_grant_role_permissions_is_idempotent_and_skips_unknown_permissions(seeded):
    assert demo.grant_role_permissions("customer_service", ["rbac.view_role", "nope.nothing"]) == 1
    assert demo.grant_role_permissions("customer_service", ["rbac.view_role"]) == 0
    assert demo.grant_role_permissions("no_such_role", ["rbac.view_role"]) == 0


def test_customer_service_cannot_publish_products_refund_or_approve_requests(seeded):
    agent = get_user_model().objects.get(username="cs_agent")
    for perm in (
        "catalog.publish_product",
        "orders.refund_order",
        "rbac.approve_permission_request",
        "rbac.assign_role",
    ):
        assert not agent.has_perm(perm), perm
    assert (
        get_user_model()
        .objects.get(username="tech_lead")
        .has_perm("rbac.approve_permission_request")
    )
