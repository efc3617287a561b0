"""Browser: the ops lead rejects a listing with a reason; the history tab shows the round."""

from catalog import services
from catalog.models import Product
from tests.catalog.conftest import (  # noqa: F401 - fixtures reused by name
    author,
    leaf,
    make_product,
    png,
    reviewer,
    staff_with_role,
    tree,
)
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login


def test_ops_lead_rejects_a_listing_with_a_reason_in_the_admin(
    page,
    live_server,
    make_product,  # noqa: F811
    author,  # noqa: F811
    reviewer,  # noqa: F811
    artifacts_dir,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    product = make_product(author, title="智能电饭煲 浏览器测试")
    services.product_submit(actor=author, product=product)

    admin_login(page, live_server.url, reviewer.username, PASSWORD)
    page.goto(f"{live_server.url}/admin/catalog/product/?status__exact=pending_review")
    page.check(f"input[name=_selected_action][value='{product.pk}']")
    page.select_option("select[name=action]", "reject_selected")
    page.fill("input[name=reason]", "主图不清晰，请重新上传")
    with page.expect_navigation():
        page.click("button[name=index]")  # the theme's "run" button, shown once chosen
    assert "已驳回 1 个商品" in page.locator("body").inner_text()

    product.refresh_from_db()
    assert product.status == Product.Status.REJECTED
    page.goto(f"{live_server.url}/admin/catalog/product/{product.pk}/history/")
    history = page.locator("#product-events").inner_text()
    assert "主图不清晰，请重新上传" in history and "已驳回" in history
    page.screenshot(path=str(artifacts_dir / "catalog_history.png"), full_page=True)
