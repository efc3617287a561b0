"""Browser journey: finance works yesterday's reconciliation — two finance users.

The finance clerk opens 对账批次, opens the run (summary and totals, the report
buttons), downloads the CSV report, opens 对账差异, resolves one discrepancy with a
note and proposes an adjustment of another; the approve button is not shown to the
clerk. The finance lead opens 调账申请 and approves it: the discrepancy is 已调账.
Screenshots in artifacts/e2e/. Button names are read through gettext in Chinese, so
the journey reads what the page shows whatever the state of the catalogue.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from payments.models import Discrepancy, ReconciliationAdjustment
from tests.conftest import PASSWORD
from tests.e2e.helpers import admin_login, shoot
from tests.payments.reconciliation.queue_factories import (
    make_discrepancy,
    make_finance,
    make_run,
)


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


@pytest.fixture
def bills(transactional_db):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic():
        run = make_run(bill_date=timezone.localdate() - timedelta(days=1))
        short = make_discrepancy(run, kind="platform_only", channel_amount=None)
        odd = make_discrepancy(run)
    return run, short, odd


def _login_as(page, live_server, username: str, name: tuple[str, str]):
    user = make_finance(username)
    user.first_name, user.last_name = name
    user.save(update_fields=["first_name", "last_name"])
    admin_login(page, live_server.url, username, PASSWORD)
    return user


def test_finance_resolves_proposes_and_a_second_user_approves(page, live_server, bills):
    run, short, odd = bills
    clerk = _login_as(page, live_server, "recon_clerk", ("小账", "王"))

    # 对账批次 → the run: summary, totals, report buttons.
    page.goto(f"{live_server.url}/admin/payments/reconciliation/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    shoot(page, "recon-1-runs")
    rows.first.get_by_role("link").first.click()
    page.wait_for_url(f"**/admin/payments/reconciliation/{run.pk}/change/**")
    body = page.locator("body").inner_text()
    assert zh("Download report (CSV)") in body and zh("Download report (Excel)") in body
    shoot(page, "recon-2-run")
    with page.expect_download() as download:
        page.get_by_role("link", name=zh("Download report (CSV)")).click()
    assert download.value.suggested_filename.endswith(".csv")

    # 对账差异: resolve one with a note.
    page.goto(f"{live_server.url}/admin/payments/discrepancy/{odd.pk}/change/")
    page.get_by_role("link", name=zh("Mark as resolved")).first.click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    dialog.locator("textarea[name=note]").fill("渠道优惠导致金额差异，已核实。")
    shoot(page, "recon-3-resolve-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector(f"text={zh('The discrepancy is resolved.')}")
    odd.refresh_from_db()
    assert odd.status == Discrepancy.Status.RESOLVED and odd.resolved_by_id == clerk.pk

    # Propose an adjustment of the other.
    page.goto(f"{live_server.url}/admin/payments/discrepancy/{short.pk}/change/")
    page.get_by_role("link", name=zh("Propose an adjustment")).first.click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    dialog.locator("input[name=amount]").fill("-9.00")
    dialog.locator("textarea[name=note]").fill("渠道未收到该笔款项，冲减。")
    shoot(page, "recon-4-propose-dialog")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector(
        f"text={zh('The adjustment is waiting for another finance user' + chr(39) + 's approval.')}"
    )
    adjustment = ReconciliationAdjustment.objects.get(discrepancy=short)
    page.goto(f"{live_server.url}/admin/payments/reconciliationadjustment/{adjustment.pk}/change/")
    assert zh("Approve") not in page.locator(".submit-row, #content").first.inner_text()
    shoot(page, "recon-5-own-proposal")

    # The second finance user approves.
    page.context.clear_cookies()
    lead = _login_as(page, live_server, "recon_lead", ("大账", "赵"))
    page.goto(f"{live_server.url}/admin/payments/reconciliationadjustment/")
    assert page.locator("#result_list tbody tr").count() == 1
    shoot(page, "recon-6-adjustments")
    page.goto(f"{live_server.url}/admin/payments/reconciliationadjustment/{adjustment.pk}/change/")
    page.get_by_role("link", name=zh("Approve")).first.click()
    dialog = page.locator("#dialog")
    dialog.wait_for()
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector(f"text={zh('The adjustment is approved.')}")
    adjustment.refresh_from_db()
    short.refresh_from_db()
    assert adjustment.status == ReconciliationAdjustment.Status.APPROVED
    assert adjustment.decided_by_id == lead.pk
    assert short.status == Discrepancy.Status.ADJUSTED
    shoot(page, "recon-7-approved")
