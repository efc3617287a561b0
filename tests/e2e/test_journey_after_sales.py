# ruff: noqa: F811 - fixtures imported from the orders conftest are parameters here
"""Browser journey: customer service works the after-sales queue and answers a bad review.

The agent (role 客服: after-sales and reviews, scope all) logs in and sees on the
workbench the after-sales request and the negative review waiting; opens 售后 from
the tile, opens the request (its lines, evidence and timeline in words), presses
同意申请 and the case goes to finance (退款执行中, the 24-hour refund clock running);
then opens the negative review from the 差评待回复 filter, reads the stars, presses
回复 and answers it — the 2-hour reply clock is met. Screenshots in artifacts/e2e/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import SlaClock
from orders.models import AfterSale, Review
from orders.services.after_sales import after_sale_request
from orders.services.reviews import review_create
from rbac import services
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, shoot
from tests.e2e.helpers import assert_no_raw_codes as _assert_no_raw_codes
from tests.orders.conftest import (  # noqa: F401 - fixtures re-used here
    actor,
    category,
    make_member,
    make_order,
    make_sku,
    own_store,
    product_owner,
    province,
    put_stock,
    stocked_sku,
    warehouses,
)

CS_PERMS = [
    "orders.view_order",
    "orders.view_aftersale",
    "orders.review_aftersale",
    "orders.view_review",
    "orders.reply_review",
    "orders.hide_review",
    "ops.view_slaclock",
]


def assert_no_raw_codes(page, allowed=frozenset()):
    icons = page.locator(".material-symbols-outlined").all_inner_texts()
    _assert_no_raw_codes(page, allowed=frozenset(allowed) | {icon.strip() for icon in icons})


@pytest.fixture
def waiting_work(make_member, make_order, stocked_sku):
    """A completed order of 2 × 99.00 with a refund request and a 1-star review."""
    buyer = make_member()
    now = timezone.now()
    order = make_order(
        buyer, [(stocked_sku(20), 2)], status="completed", delivered_at=now, completed_at=now
    )
    line = order.lines.get()
    case = after_sale_request(
        actor=buyer,
        order=order,
        kind="refund_only",
        lines=[(line, 1)],
        reason="quality",
        description="收到时外壳有裂痕",
    )
    review = review_create(actor=buyer, order=order, line=line, rating=1, text="包装破损，很失望")
    return case, review


def test_customer_service_approves_a_request_and_answers_a_negative_review(
    page, live_server, waiting_work
):
    case, review = waiting_work
    system = system_actor()
    role = services.role_create(
        actor=system, code="customer_service", name="客服", scope_kind="all", permissions=CS_PERMS
    )
    agent = services.staff_create(
        actor=system,
        username="cs_agent",
        employee_number="M2001",
        password=PASSWORD,
        first_name="小客",
        last_name="张",
    )
    services.role_assign(actor=system, user=agent, role=role)
    admin_login(page, live_server.url, "cs_agent", PASSWORD)

    # The workbench: one request and one negative review waiting.
    body = page.locator("body").inner_text()
    assert "待审核售后" in body and "待回复差评" in body
    shoot(page, "as-1-workbench")

    # The after-sales queue from the tile.
    page.locator("a[href*='/admin/orders/aftersale/?status__exact=requested']").first.click()
    page.wait_for_url("**/admin/orders/aftersale/**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row_text = rows.first.inner_text()
    assert case.case_no in row_text and "仅退款" in row_text and "质量问题" in row_text
    assert_no_raw_codes(page, allowed=frozenset({case.case_no, case.order.order_no}))
    shoot(page, "as-2-queue")

    # The case: lines, description, the timeline in words; approve with the button.
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/admin/orders/aftersale/{case.pk}/change/**")
    text = page.locator("body").inner_text()
    assert "收到时外壳有裂痕" in text and "99.00" in text
    shoot(page, "as-3-case")
    page.get_by_role("link", name="同意申请").click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    shoot(page, "as-4-approve-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=已同意。")
    case.refresh_from_db()
    assert (case.status, case.approved_amount, case.handler_id) == (
        "refunding",
        Decimal("99.00"),
        agent.pk,
    )
    refund_clock = SlaClock.objects.get(kind="refund.execute", subject_id=str(case.pk))
    assert refund_clock.status == "open"
    assert "同意申请" not in page.locator("body").inner_text()  # the step is done
    assert_no_raw_codes(page, allowed=frozenset({case.case_no, case.order.order_no}))
    shoot(page, "as-5-case-approved")

    # The negative review, from the "waiting for a reply" filter; reply with the button.
    page.goto(f"{live_server.url}/admin/orders/review/?negative=waiting")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "★☆☆☆☆" in rows.first.inner_text()
    shoot(page, "as-6-negative-reviews")
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/admin/orders/review/{review.pk}/change/**")
    page.get_by_role("link", name="回复").first.click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    dialog.locator("textarea[name=text]").fill("非常抱歉，已为您安排补发，请留意物流。")
    shoot(page, "as-7-reply-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=回复已保存。")
    review.refresh_from_db()
    assert review.reply_text.startswith("非常抱歉") and review.replied_by_id == agent.pk
    reply_clock = SlaClock.objects.get(kind="review.negative_reply", subject_id=str(review.pk))
    assert reply_clock.status == "met"
    assert_no_raw_codes(page, allowed=frozenset({case.order.order_no}))
    shoot(page, "as-8-review-answered")
    assert AfterSale.objects.filter(status="requested").count() == 0
    assert Review.objects.filter(rating__lte=2, reply_text="").count() == 0
