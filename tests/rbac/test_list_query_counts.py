"""Every RBAC list (API and admin changelist) costs the same number of queries for 2 or 8 rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from rbac import services
from tests.scopetest.models import Site

from .conftest import fresh

API_LISTS = [
    "/api/v1/rbac/departments/",
    "/api/v1/rbac/roles/",
    "/api/v1/rbac/staff/",
    "/api/v1/rbac/role-assignments/",
    "/api/v1/rbac/permission-requests/",
    "/api/v1/rbac/permission-requests/awaiting-me/",
    "/api/v1/rbac/access-reviews/",
]
ADMIN_LISTS = [
    "/admin/rbac/department/",
    "/admin/rbac/role/",
    "/admin/rbac/staffprofile/",
    "/admin/auth/user/",
    "/admin/rbac/roleassignment/",
    "/admin/guardian/userobjectpermission/",
    "/admin/rbac/permissionrequest/",
    "/admin/rbac/accessreview/",
]


@pytest.fixture
def grow(system, tree, make_user, make_role):
    """Add ``n`` more of everything each list shows."""
    approver_role = make_role("tech-lead", "all", perms=["rbac.approve_permission_request"])
    counter = {"n": 0}

    def add(n: int) -> None:
        for _ in range(n):
            counter["n"] += 1
            i = counter["n"]
            department = services.department_create(
                actor=system, code=f"d{i}", name=f"部门{i}", parent=tree["root"]
            )
            role = make_role(f"role{i}", "regions", perms=["rbac.view_role"], region_codes=["east"])
            services.department_update(actor=system, department=department, default_roles=[role])
            user = make_user(f"staff{i}", department, phone=f"1390000{i:04d}", first_name="名")
            services.role_assign(
                actor=system, user=user, role=role, expires_at=timezone.now() + timedelta(days=9)
            )
            site = Site.objects.create(code=f"S{i}")
            assign_perm("scopetest.work_site", user, site)
            services.permission_request_create(actor=fresh(user), role=approver_role, reason="r")
            services.access_review_generate(actor=system, period=date(2000 + i, 1, 1))

    return add


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries)


@pytest.mark.parametrize("url", API_LISTS)
def test_api_lists_cost_the_same_queries_for_more_rows(url, grow, superuser, staff_client):
    client = staff_client(superuser)
    grow(2)
    few = _count(client, url)
    grow(6)
    assert _count(client, url) == few


@pytest.mark.parametrize("url", ADMIN_LISTS)
def test_admin_changelists_cost_the_same_queries_for_more_rows(url, grow, superuser):
    client = Client()
    client.force_login(superuser)
    grow(2)
    few = _count(client, url)
    grow(6)
    assert _count(client, url) == few
