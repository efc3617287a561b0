# ruff: noqa: F811 - fixtures imported from the orders tests are parameters here
"""Browser journey: an east-region ops user reviews and ships an order.

The ops user opens 订单, the 待审核 tab (east orders only), an order, approves it by
its button, ships it with a waybill in the dialog and sees the timeline — every page
in Chinese, without raw codes; screenshots under ``artifacts/e2e/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.conftest import PASSWORD
from tests.dispatch.conftest import (  # noqa: F401 - fixtures
    actor,
    category,
    make_sku,
    product_owner,
    province,
    put_stock,
    warehouses,
)
from tests.e2e.helpers import admin_login, assert_no_raw_codes, shoot, visible_text
from tests.members.conftest import make_member  # noqa: F401 - fixture
from tests.orders.conftest import make_order, own_store, stocked_sku  # noqa: F401 - fixtures

OPS_PERMS = (
    "orders.view_order",
    "orders.review_order",
    "orders.ship_order",
    "orders.view_aftersale",
    "dispatch.view_shipment",
    "dispatch.change_shipment",
)


@pytest.fixture
def east_ops(actor):
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services
    from rbac.models import SalesRegion, ScopeKind

    user = get_user_model().objects.create_user(
        username="ops_east_e2e",
        password=PASSWORD,
        is_staff=True,
        first_name="华东",
        last_name="周",
    )
    role = rbac_services.role_create(
        actor=actor,
        code="ops_east_e2e",
        name="华东运营",
        scope_kind=ScopeKind.REGIONS,
        regions=list(SalesRegion.objects.filter(code="east")),
        permissions=OPS_PERMS,
    )
    rbac_services.role_assign(actor=actor, user=user, role=role)
    return user


def _refresh(order, until: str | None = None) -> None:
    """Re-read ``order`` once the live server's request is done with it.

    The page can show the words we wait for before the button's POST has committed
    (the tab bar also reads 待发货), so wait for the status itself (``until``), up to
    10 s; on SQLite also past "database table is locked" while the server finishes.
    """
    import time

    from django.db import OperationalError

    for _attempt in range(100):
        try:
            order.refresh_from_db()
        except OperationalError:
            time.sleep(0.1)
            continue
        if until is None or order.status == until:
            return
        time.sleep(0.1)
    order.refresh_from_db()


def _no_raw_codes(page) -> None:
    icons = page.locator(".material-symbols-outlined").all_inner_texts()
    assert_no_raw_codes(page, allowed=frozenset(icon.strip() for icon in icons))


def test_an_east_ops_user_approves_and_ships_an_order_and_reads_its_timeline(
    page, live_server, east_ops, make_member, make_order, stocked_sku
):
    member = make_member()
    sku = stocked_sku(20, where=("WH-SH", "WH-BJ"))
    order = make_order(member, [(sku, 2)], status="pending_review")
    north = make_order(member, [(sku, 1)], status="pending_review", province_name="北京")
    base = live_server.url

    admin_login(page, base, "ops_east_e2e", PASSWORD)
    assert "待审核订单" in visible_text(page)
    shoot(page, "order-ops-01-workbench")

    # 订单 in the sidebar, then the 待审核 tab: east orders only.
    page.goto(f"{base}/admin/orders/order/")
    page.locator("#order-tabs a", has_text="待审核").click()
    page.wait_for_url("**/admin/orders/order/?tab=pending_review")
    text = visible_text(page)
    assert order.order_no in text
    assert north.order_no not in text, "another region's order is not listed"
    for label in ("订单号", "会员", "状态", "实付金额", "下单时间"):
        assert label in text, label
    _no_raw_codes(page)
    shoot(page, "order-ops-02-to-review")

    # The order's page: read-only, lines, recipient masked.
    page.locator("#result_list a", has_text=order.order_no).click()
    page.wait_for_url(f"**/admin/orders/order/{order.pk}/change/**")
    text = visible_text(page)
    assert sku.product.title in text
    assert "13912345678" not in text and "139****5678" in text
    _no_raw_codes(page)
    shoot(page, "order-ops-03-order")

    # 审核通过 by its button (a dialog confirms).
    page.get_by_text("审核通过").first.click()
    page.locator("dialog button[type=submit], form button[type=submit]").filter(
        has_text="审核通过"
    ).last.click()
    expect(page.locator("body")).to_contain_text("待发货")  # the approved status
    page.wait_for_load_state("networkidle")
    _refresh(order, until=Order.Status.APPROVED)
    assert order.status == Order.Status.APPROVED
    shoot(page, "order-ops-04-approved")

    # 发货 with a waybill in the dialog.
    page.locator(f'a[href*="/order/{order.pk}/ship/"]').first.click()
    page.locator("textarea[name=waybill_nos]").fill("SF1234567890")
    shoot(page, "order-ops-05-ship-dialog")
    page.locator("dialog button[type=submit], form button[type=submit]").filter(
        has_text="发货"
    ).last.click()
    expect(page.locator("body")).to_contain_text("订单已发货")  # the timeline
    page.wait_for_load_state("networkidle")
    _refresh(order, until=Order.Status.SHIPPED)
    assert order.status == Order.Status.SHIPPED

    # The timeline names each step, the reviewer by name, statuses by label.
    text = visible_text(page)
    assert "订单时间线" in text
    assert "订单审核通过" in text or "审核通过" in text
    assert "订单已发货" in text
    assert "周华东" in text
    _no_raw_codes(page)
    shoot(page, "order-ops-06-timeline")
