from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login


def test_superuser_logs_into_the_admin_and_sees_it_in_chinese(
    page, live_server, superuser, artifacts_dir
):
    admin_login(page, live_server.url, superuser.username, PASSWORD)

    assert page.locator("#site-name").inner_text().strip() == "商城管理后台"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "运营管理" in page.title()
    page.screenshot(path=str(artifacts_dir / "admin_index.png"), full_page=True)
    assert (artifacts_dir / "admin_index.png").stat().st_size > 0


def test_wrong_password_stays_on_the_login_page_with_an_error(page, live_server, superuser):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", superuser.username)
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")

    assert "/admin/login/" in page.url
    assert page.locator(".errornote").is_visible()
