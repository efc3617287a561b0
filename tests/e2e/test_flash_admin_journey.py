# ruff: noqa: F811 - fixtures imported from checkout_support are parameters here
"""Journey: marketing creates a flash-sale session with an item (SKU picked in the search
box) and submits it; the ops lead approves it with the button (issue 15).

The demo roles and their permissions come from the demo seeds (``rbac.demo``,
``orders.demo_flash``). Every page visited is checked for raw codes; screenshots go to
artifacts/e2e/.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import ApprovalStatus, FlashSession
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, assert_no_raw_codes, shoot
from tests.orders.checkout_support import on_shelf_sku  # noqa: F401 - fixture
from tests.orders.conftest import (  # noqa: F401 - the fixtures on_shelf_sku stands on
    actor,
    category,
    make_sku,
    product_owner,
    province,
    put_stock,
    stocked_sku,
    warehouses,
)

LIST = "/admin/orders/flashsession/"


@pytest.fixture
def demo_staff(db):
    """The demo roles and staff (marketing, ops_lead) with the flash permissions."""
    from django.contrib.auth import get_user_model

    from orders import demo_flash
    from rbac import demo as rbac_demo

    get_user_model().objects.create_superuser("admin", password=PASSWORD)  # as seed_demo does
    rbac_demo.seed(stdout=io.StringIO())
    demo_flash._grant_roles()


def _allowed(*codes: str) -> frozenset[str]:
    """Login names (beside a person's name) and SKU codes are data, not raw codes."""
    from django.contrib.auth import get_user_model

    return frozenset(get_user_model().objects.values_list("username", flat=True)) | set(codes)


def _press(page, step: str, *, reason: str = "") -> None:
    """Press the workflow button ``step`` (its URL) and confirm its dialog."""
    page.locator(f"a[href$='/{step}/']").first.click()
    dialog = page.locator("#dialog form")
    dialog.wait_for()
    if reason:
        dialog.locator("textarea[name=reason]").fill(reason)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()


def test_marketing_creates_and_submits_the_ops_lead_approves(
    page, live_server, demo_staff, on_shelf_sku
):
    base = live_server.url
    sku = on_shelf_sku(30, code="J-FLASH-001")
    allowed = _allowed(sku.code)
    starts = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    ends = starts + timedelta(hours=2)

    # --- marketing: a new session with one item ---
    admin_login(page, base, "marketing", PASSWORD)
    page.goto(f"{base}{LIST}add/")
    page.fill("#id_name", "周五十点秒杀")
    page.fill("#id_starts_at_0", starts.strftime("%Y-%m-%d"))
    page.fill("#id_starts_at_1", starts.strftime("%H:%M:%S"))
    page.fill("#id_ends_at_0", ends.strftime("%Y-%m-%d"))
    page.fill("#id_ends_at_1", ends.strftime("%H:%M:%S"))
    page.fill("#id_unpaid_minutes", "5")

    # the SKU box: search by product name, pick the SKU (its sellable units shown)
    page.locator(".select2-selection:visible").first.click()
    page.locator(".select2-search__field").last.fill(sku.product.title)
    option = page.locator(".select2-results__option", has_text=sku.code).first
    option.wait_for()
    assert "30" in option.inner_text()  # sellable units beside the name
    option.click()
    page.fill("input[name='items-0-flash_price_amount']", "59.00")
    page.fill("input[name='items-0-quota']", "10")
    page.fill("input[name='items-0-per_member_limit']", "1")
    shoot(page, "journey-flash-1-new-session-form")

    with page.expect_navigation():
        page.click("button[name=_continue]")
    session = FlashSession.objects.get(name="周五十点秒杀")
    assert session.status == ApprovalStatus.DRAFT
    assert session.created_by.username == "marketing"
    item = session.items.get()
    assert (item.sku_id, str(item.flash_price_amount), item.quota) == (sku.pk, "59.00", 10)
    assert page.locator("a[href$='/submit-button/']").count() == 1
    assert page.locator("a[href$='/approve-button/']").count() == 0
    assert_no_raw_codes(page, allowed=allowed)
    shoot(page, "journey-flash-2-draft-saved")

    _press(page, "submit-button")
    session.refresh_from_db()
    assert session.status == ApprovalStatus.PENDING_APPROVAL
    assert page.locator("#id_name").count() == 0, "a submitted session is read-only"
    assert page.locator("a[href$='/approve-button/']").count() == 0  # never the creator
    assert_no_raw_codes(page, allowed=allowed)
    shoot(page, "journey-flash-3-submitted-read-only")

    # --- the ops lead: the list, the session, approve ---
    page.context.clear_cookies()
    admin_login(page, base, "ops_lead", PASSWORD)
    page.goto(f"{base}{LIST}?status__exact=pending_approval")
    row = page.locator("#result_list tbody tr", has_text="周五十点秒杀")
    assert row.count() == 1
    assert "郑营销" in row.inner_text()  # the creator's real name
    assert "0 / 10" in row.inner_text()
    assert_no_raw_codes(page, allowed=allowed)
    shoot(page, "journey-flash-4-approval-list")

    row.locator("a").filter(has_text="周五十点秒杀").first.click()
    page.wait_for_url(re.compile(rf".*{LIST}{session.pk}/change/"))
    assert page.locator("a[href$='/reject-button/']").count() == 1
    _press(page, "approve-button")
    session.refresh_from_db()
    assert session.status == ApprovalStatus.APPROVED
    assert session.approved_by.username == "ops_lead"
    body = page.locator("body").inner_text()
    assert "刘运营" in body  # the approver named on the page
    assert page.locator("a[href$='/approve-button/']").count() == 0
    assert_no_raw_codes(page, allowed=allowed)
    shoot(page, "journey-flash-5-approved")
