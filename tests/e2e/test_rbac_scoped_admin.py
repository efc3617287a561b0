"""Browser: ops_east logs into the admin and sees only east rows of a scoped list."""

from __future__ import annotations

from mall.core.actors import system_actor
from rbac import services
from rbac.models import SalesRegion
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login
from tests.scopetest.models import Ticket


def _ops_east():
    system = system_actor()
    ops = services.department_create(actor=system, code="ops", name="运营部")
    role = services.role_create(
        actor=system,
        code="order_ops_east",
        name="华东订单运营",
        scope_kind="regions",
        regions=[SalesRegion.objects.get(code="east")],
        permissions=["scopetest.view_ticket"],
    )
    user = services.staff_create(
        actor=system,
        username="ops_east",
        employee_number="M1001",
        department=ops,
        password=PASSWORD,
    )
    services.role_assign(actor=system, user=user, role=role)
    return user


def test_ops_east_sees_only_east_rows_of_a_scoped_admin_list(page, live_server, artifacts_dir):
    _ops_east()
    for region in SalesRegion.objects.filter(code__in=["east", "north", "south"]):
        for number in range(2):
            Ticket.objects.create(
                title=f"工单-{region.code}-{number}", region=region, phone="13812345678"
            )
    admin_login(page, live_server.url, "ops_east", PASSWORD)

    page.goto(f"{live_server.url}/admin/scopetest/ticket/")
    rows = page.locator("#result_list tbody tr")
    titles = sorted(rows.locator("th a, td.field-title").all_inner_texts())
    page.screenshot(path=str(artifacts_dir / "rbac_ops_east_tickets.png"), full_page=True)
    assert titles == ["工单-east-0", "工单-east-1"]
    assert "138****5678" in page.content()
    assert "13812345678" not in page.content()

    # The change page of a north row, typed in by URL, is "not found".
    north = Ticket.objects.get(title="工单-north-0")
    page.goto(f"{live_server.url}/admin/scopetest/ticket/{north.pk}/change/")
    assert "工单-north-0" not in page.content()
    assert page.url.rstrip("/").endswith("/admin")
