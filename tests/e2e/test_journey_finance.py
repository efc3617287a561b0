"""Browser journey: finance's morning — a refund the channel refused, and an anomaly.

The finance clerk (role 财务, scope all) logs in and sees on the workbench today's
collections, the refund waiting and the open payment anomaly; opens 待执行退款 from the
tile, opens the failed refund (its transaction, the channel's last error in words),
presses 重试退款 — the sandbox channel pays it and the transaction becomes 部分退款;
then opens 支付异常 from its tile, reads the amounts, presses 处理 and writes what was
done — the anomaly is 已处理 and leaves the tile. Screenshots in artifacts/e2e/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ops.models import AuditEntry
from payments.models import PaymentAnomaly, PaymentTransaction, Refund
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, shoot
from tests.e2e.helpers import assert_no_raw_codes as _assert_no_raw_codes
from tests.payments.scope_cases import (
    make_anomaly,
    make_refund,
    make_staff_with_role,
    make_txn,
)


def assert_no_raw_codes(page, allowed=frozenset()):
    icons = page.locator(".material-symbols-outlined").all_inner_texts()
    _assert_no_raw_codes(page, allowed=frozenset(allowed) | {icon.strip() for icon in icons})


@pytest.fixture
def morning(transactional_db):
    """A paid sandbox transaction with a refund the channel refused, and an anomaly."""
    paid = make_txn(channel="sandbox", amount="128.00", fee="0.77")
    failed = make_refund(paid, amount="28.00", status="failed")
    odd = make_txn(channel="sandbox", status="unpaid", amount="66.00")
    anomaly = make_anomaly(odd)
    return paid, failed, anomaly


def test_finance_retries_a_refused_refund_and_resolves_an_anomaly(page, live_server, morning):
    paid, failed, anomaly = morning
    clerk = make_staff_with_role("finance_clerk")
    clerk.first_name, clerk.last_name = "小财", "李"
    clerk.save(update_fields=["first_name", "last_name"])
    admin_login(page, live_server.url, "finance_clerk", PASSWORD)

    # The workbench: the refund waiting and the open anomaly.
    body = page.locator("body").inner_text()
    assert "今日实收" in body and "待执行退款" in body and "支付异常" in body
    shoot(page, "fin-1-workbench")

    # The refund queue from the tile; the refused refund.
    page.locator("a[href*='/admin/payments/refund/']").first.click()
    page.wait_for_url("**/admin/payments/refund/**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row_text = rows.first.inner_text()
    assert failed.refund_no in row_text and "退款失败" in row_text and "28.00" in row_text
    assert_no_raw_codes(page, allowed=frozenset({failed.refund_no, paid.transaction_no}))
    shoot(page, "fin-2-refunds")
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/admin/payments/refund/{failed.pk}/change/**")
    shoot(page, "fin-3-refund")

    # Retry with the button: the sandbox channel pays it.
    page.get_by_role("link", name="重试退款").click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    shoot(page, "fin-4-retry-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=退款已重新发送。")
    failed.refresh_from_db()
    paid.refresh_from_db()
    assert failed.status == Refund.Status.SUCCEEDED
    assert (paid.status, paid.refunded_amount) == (
        PaymentTransaction.Status.PARTIALLY_REFUNDED,
        Decimal("28.00"),
    )
    assert AuditEntry.objects.filter(action="payment.refund_retry", actor_id=clerk.pk).exists()
    page.reload()
    assert "重试退款" not in page.locator("body").inner_text()  # the step is done
    assert_no_raw_codes(page, allowed=frozenset({failed.refund_no, paid.transaction_no}))
    shoot(page, "fin-5-refund-paid")

    # The anomaly from the workbench tile: the amounts, then 处理 with a note.
    page.goto(f"{live_server.url}/admin/")
    page.locator("a[href*='/admin/payments/paymentanomaly/']").first.click()
    page.wait_for_url("**/admin/payments/paymentanomaly/**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "金额与订单不符" in rows.first.inner_text()
    shoot(page, "fin-6-anomalies")
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/admin/payments/paymentanomaly/{anomaly.pk}/change/**")
    page.get_by_role("link", name="处理").first.click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    dialog.locator("textarea[name=note]").fill("已与渠道核对：为测试报文，无资金变动。")
    shoot(page, "fin-7-resolve-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=异常已处理。")
    anomaly.refresh_from_db()
    assert anomaly.status == PaymentAnomaly.Status.RESOLVED
    assert (anomaly.resolved_by_id, anomaly.resolution_note) == (
        clerk.pk,
        "已与渠道核对：为测试报文，无资金变动。",
    )
    assert_no_raw_codes(page, allowed=frozenset({odd_no(anomaly)}))
    shoot(page, "fin-8-anomaly-resolved")


def odd_no(anomaly) -> str:
    return anomaly.reference_no
