from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login


def test_superuser_logs_into_the_admin_and_sees_it_in_chinese(
    page, live_server, superuser, artifacts_dir
):
    admin_login(page, live_server.url, superuser.username, PASSWORD)

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.title() == "工作台 | 商城管理后台"
    assert page.locator("#workbench h1").inner_text().strip() == "工作台"
    sidebar = page.locator("#nav-sidebar-inner, nav").first.inner_text()
    assert "商品" in sidebar and "权限" in sidebar
    page.screenshot(path=str(artifacts_dir / "admin_index.png"), full_page=True)
    assert (artifacts_dir / "admin_index.png").stat().st_size > 0


def test_wrong_password_stays_on_the_login_page_with_an_error(page, live_server, superuser):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", superuser.username)
    page.fill("#id_password", "not-the-password")
    page.click("[type=submit]")

    assert "/admin/login/" in page.url
    assert page.locator(".errornote").first.is_visible()
