"""The admin frame in a real browser: login page, workbench header, user menu, error page.

The page-by-page walk of every changelist as each demo role is
tests/core/test_admin_walk.py (test client, no browser needed); this journey looks at
what only a browser shows — the frame around every page — and photographs it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, assert_no_raw_codes, shoot, visible_text


def test_a_clerk_logs_in_sees_the_frame_in_chinese_and_a_403_inside_it(
    page, live_server, make_staff
):
    clerk = make_staff("clerk_sh", perms=("dispatch.view_stock",))
    get_user_model().objects.filter(pk=clerk.pk).update(first_name="仓", last_name="陈")

    page.goto(f"{live_server.url}/admin/login/")
    login_text = visible_text(page)
    assert "欢迎回到" in login_text and "商城管理后台" in login_text
    assert "返回网站" not in login_text
    shoot(page, "admin-login")

    # No "next": the form still lands on the workbench.
    page.fill("#id_username", clerk.username)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    text = visible_text(page)
    assert "工作台" in text and "陈仓" in text  # the user menu names the clerk 姓+名
    assert "Welcome" not in text and "运营管理" not in text
    assert_no_raw_codes(page)
    shoot(page, "admin-workbench-clerk")

    page.goto(f"{live_server.url}/admin/ops/auditentry/")
    text = visible_text(page)
    assert "您无权打开此页面" in text
    assert "库存" in text  # the sidebar is still there: the page is inside the frame
    assert_no_raw_codes(page)
    shoot(page, "admin-403-clerk")


def test_the_superuser_sees_every_work_group_in_order(page, live_server, superuser):
    admin_login(page, live_server.url, superuser.username, PASSWORD)
    sidebar = page.locator("#nav-sidebar-inner, nav").first.inner_text()
    positions = [sidebar.find(title) for title in ("工作台", "商品", "库存与物流", "权限", "系统")]
    assert all(position >= 0 for position in positions), sidebar
    assert positions == sorted(positions)
    shoot(page, "admin-workbench-superuser")
