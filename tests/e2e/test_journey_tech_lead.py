"""Browser journey: the tech lead's morning.

The workbench says a parameter change waits for them; they open it from the tile,
approve it with the button (a dialog, then the same service as the API), and read the
approval in the audit log — every page in Chinese, no raw code on screen.
"""

from __future__ import annotations

import io

from ops.models import ParameterChangeRequest
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, assert_no_raw_codes, shoot

KEY = "sla.order_review_minutes"


def _seed_demo_staff():
    from ops import demo as ops_demo
    from rbac import demo as rbac_demo

    out = io.StringIO()
    rbac_demo.seed(stdout=out)
    ops_demo.seed(stdout=out)  # ops_lead asks for 订单审核时效 → 15 分钟


def _no_raw_codes(page):
    # The theme's icons are ligature glyphs (<span class="material-symbols-outlined">),
    # pictures rather than words; whatever else the page shows must read in Chinese.
    icons = page.locator(".material-symbols-outlined, .material-symbols").all_inner_texts()
    assert_no_raw_codes(page, allowed=frozenset(name.strip() for name in icons))


def test_tech_lead_approves_a_parameter_change_with_the_button_and_reads_it_in_the_audit_log(
    page, live_server, make_staff
):
    make_staff("admin", superuser=True)  # the demo's superuser (rbac's seed gives it a profile)
    _seed_demo_staff()
    change = ParameterChangeRequest.objects.get(key=KEY, status="pending")
    base = live_server.url

    admin_login(page, base, "tech_lead", PASSWORD)
    tile = page.locator("a", has_text="待我审批的参数变更").first
    assert tile.is_visible()
    assert "1" in tile.inner_text()
    _no_raw_codes(page)
    shoot(page, "tech_lead-1-workbench")

    tile.click()
    page.wait_for_load_state()
    assert "awaiting=me" in page.url
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "15 分钟" in rows.first.inner_text() and "刘运营" in rows.first.inner_text()
    _no_raw_codes(page)
    shoot(page, "tech_lead-2-requests-waiting")

    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("以技术负责人身份审批通过").first.is_visible()
    assert page.get_by_text("以业务负责人身份审批通过").count() == 0  # not their role
    _no_raw_codes(page)
    shoot(page, "tech_lead-3-request")

    page.get_by_text("以技术负责人身份审批通过").first.click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    assert "以技术负责人身份批准此参数变更？" in dialog.inner_text()
    _no_raw_codes(page)
    shoot(page, "tech_lead-4-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=已以技术负责人身份批准。")

    change.refresh_from_db()
    assert change.tech_approver.username == "tech_lead"
    assert change.status == ParameterChangeRequest.Status.PENDING  # the business owner's turn
    assert page.get_by_text("以技术负责人身份审批通过").count() == 0
    _no_raw_codes(page)
    shoot(page, "tech_lead-5-approved")

    page.locator("a", has_text="操作日志").first.click()
    page.wait_for_load_state()
    newest = page.locator("#result_list tbody tr")
    texts = [newest.nth(i).inner_text() for i in range(min(5, newest.count()))]
    approval = next(text for text in texts if "审批通过参数变更" in text)
    assert "周技术" in approval and "参数变更申请" in approval
    _no_raw_codes(page)
    shoot(page, "tech_lead-6-audit-log")

    page.locator("#result_list tbody tr", has_text="审批通过参数变更").first.locator(
        "a"
    ).first.click()
    page.wait_for_load_state()
    assert "技术负责人审批" in page.locator("body").inner_text()  # the change, field by field
    _no_raw_codes(page)
    shoot(page, "tech_lead-7-audit-entry")
