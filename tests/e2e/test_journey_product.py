"""Journey: product ops creates a product with pictures and SKUs and submits it; the ops
lead approves it with the button and puts it on shelf (issue 11, "Must show").

The demo roles come from the demo seeds (``rbac.demo``, ``catalog.demo``): the same
users, roles and permissions a person gets with ``make demo``. Every page visited is
checked for raw codes; screenshots go to artifacts/e2e/.
"""

from __future__ import annotations

import io
import mimetypes
import re
from pathlib import Path

import pytest

from catalog.demo import demo_picture
from catalog.models import Product
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, assert_no_raw_codes, shoot


def _login_names() -> frozenset[str]:
    """Login names: shown beside a name in the owner picker ("孙商品（product_ops）")."""
    from django.contrib.auth import get_user_model

    return frozenset(get_user_model().objects.values_list("username", flat=True))


@pytest.fixture
def demo_staff(db):
    """The demo roles and staff, through the demo seeds (product_ops, ops_lead, tree)."""
    from django.contrib.auth import get_user_model

    from catalog import demo as catalog_demo
    from mall.core.actors import system_actor
    from rbac import demo as rbac_demo

    out = io.StringIO()
    get_user_model().objects.create_superuser("admin", password=PASSWORD)  # as seed_demo does
    rbac_demo.seed(stdout=out)
    catalog_demo._grant_roles()
    catalog_demo._specialists(system_actor(), out)
    catalog_demo._tree(system_actor())


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _serve_media(page, root: Path) -> None:
    """The test server does not serve uploads (DEBUG is off): answer them from MEDIA_ROOT."""

    def handle(route):
        name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
        path = root / name
        if not path.is_file():
            route.fulfill(status=404, body="")
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=path.read_bytes(), content_type=kind)

    page.route(re.compile(r".*/media/.*"), handle)


def _press(page, button: str, *, reason: str = "") -> None:
    """Press a workflow button on the change page and confirm its dialog."""
    page.locator("a, button").filter(has_text=button).first.click()
    dialog = page.locator("#dialog form")
    dialog.wait_for()
    if reason:
        dialog.locator("textarea[name=reason]").fill(reason)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()


def _logout(page, base: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")


def test_product_ops_creates_and_submits_the_ops_lead_approves_and_lists(
    page, live_server, demo_staff, media, tmp_path
):
    base = live_server.url
    _serve_media(page, media)
    pictures = []
    for number in (1, 2):
        path = tmp_path / f"rice-cooker-{number}.png"
        path.write_bytes(demo_picture(40 + number, "appliance"))
        pictures.append(path)

    # --- product ops: a new product with two SKUs (specs as rows) and two pictures ---
    admin_login(page, base, "product_ops", PASSWORD)
    page.goto(f"{base}/admin/catalog/product/add/")
    assert "增加 商品" in page.title()
    page.fill("#id_code", "J-RICE-001")
    page.fill("#id_title", "美的 智能电饭煲 4L 家用")
    page.select_option("#id_category", label="家用电器 / 厨房电器 / 电饭煲")
    page.fill("#id_brand", "美的")
    page.fill("#id_description", "IH 电磁加热，24 小时预约。")

    for index, (code, capacity, colour, price) in enumerate(
        [("J-RICE-001-3L", "3L", "白色", "299.00"), ("J-RICE-001-4L", "4L", "灰色", "349.00")]
    ):
        page.locator("a, button").filter(has_text="添加另一个 SKU").first.click()
        prefix = f"skus-{index}"
        page.fill(f"input[name='{prefix}-code']", code)
        keys = page.locator(f"input[name='{prefix}-spec__key']")
        values = page.locator(f"input[name='{prefix}-spec__value']")
        keys.nth(0).fill("容量")
        values.nth(0).fill(capacity)
        page.locator(f"input[name='{prefix}-spec__key']").nth(0).locator(
            "xpath=ancestor::*[@data-spec-rows]"
        ).locator("[data-spec-add]").click()
        keys.nth(1).fill("颜色")
        values.nth(1).fill(colour)
        page.fill(f"input[name='{prefix}-price_amount']", price)
        page.fill(f"input[name='{prefix}-cost_amount']", "180.00")
        page.fill(f"input[name='{prefix}-weight_grams']", "3500")
    for index, picture in enumerate(pictures):
        page.locator("a, button").filter(has_text="添加另一个 商品图片").first.click()
        page.set_input_files(f"input[name='images-{index}-image']", str(picture))
        page.fill(f"input[name='images-{index}-alt_text']", f"电饭煲 图{index + 1}")
    assert "{" not in page.locator("[data-spec-rows]").first.inner_text()  # no raw JSON
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-1-new-product-form")

    with page.expect_navigation():
        page.click("button[name=_continue]")
    product = Product.objects.get(code="J-RICE-001")
    assert product.status == Product.Status.DRAFT
    assert {sku.code: sku.spec for sku in product.skus.all()} == {
        "J-RICE-001-3L": {"容量": "3L", "颜色": "白色"},
        "J-RICE-001-4L": {"容量": "4L", "颜色": "灰色"},
    }
    assert product.images.count() == 2
    body = page.locator("body").inner_text()
    assert "草稿" in body and "提交审核" in body
    preview = page.locator("td.field-preview img").first
    assert preview.evaluate("img => img.naturalWidth") == 800  # the picture renders
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-2-draft-saved")

    _press(page, "提交审核")
    product.refresh_from_db()
    assert product.status == Product.Status.PENDING_REVIEW
    body = page.locator("body").inner_text()
    assert "已提交上架审核。" in body and "待审核" in body
    assert page.locator("#id_title").count() == 0, "a product in review is read-only"
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-3-submitted-read-only")

    # --- the ops lead: the workbench tile, the list, approve, put on shelf ---
    _logout(page, base)
    admin_login(page, base, "ops_lead", PASSWORD)
    tile = page.locator("a", has_text="待我审核的商品").first
    assert tile.is_visible()
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-4-ops-lead-workbench")
    tile.click()
    page.wait_for_url(re.compile(r".*/admin/catalog/product/\?status__exact=pending_review"))
    row = page.locator("#result_list tbody tr", has_text="美的 智能电饭煲 4L 家用")
    assert row.count() == 1
    row_text = row.inner_text()
    assert "¥299.00–349.00" in row_text and "孙商品" in row_text and "待审核" in row_text
    assert row.locator("img").first.evaluate("img => img.naturalWidth") == 800
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-5-review-list")

    row.locator("a").filter(has_text="美的 智能电饭煲").first.click()
    page.wait_for_url(re.compile(rf".*/admin/catalog/product/{product.pk}/change/"))
    _press(page, "审核通过")
    product.refresh_from_db()
    assert product.status == Product.Status.APPROVED
    assert "上架审核已通过。" in page.locator("body").inner_text()
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-6-approved")

    _press(page, "上架")
    product.refresh_from_db()
    assert product.status == Product.Status.ON_SHELF
    body = page.locator("body").inner_text()
    assert "商品已上架。" in body and "已上架" in body
    assert "下架" in body  # the next step offered
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-7-on-shelf")

    page.goto(f"{base}/admin/catalog/product/")
    row = page.locator("#result_list tbody tr", has_text="美的 智能电饭煲 4L 家用")
    assert "已上架" in row.inner_text()
    assert_no_raw_codes(page, allowed=_login_names())
    shoot(page, "journey-product-8-list-on-shelf")
