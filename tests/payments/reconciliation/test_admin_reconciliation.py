"""财务 → 对账批次, 对账差异, 调账申请: screens open without raw codes, lists are scoped,
buttons call the services, the proposer never sees approve / reject."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import Discrepancy, ReconciliationAdjustment
from payments.services.discrepancies import adjustment_propose
from rbac.models import SalesRegion
from tests.core.test_admin_walk import _parse
from tests.e2e.helpers import raw_codes
from tests.payments.reconciliation.queue_factories import (
    make_discrepancy,
    make_finance,
    make_run,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    run = make_run()
    near = make_discrepancy(run, region=east)
    far = make_discrepancy(run, region=north, kind="platform_only", channel_amount=None)
    return {"run": run, "near": near, "far": far}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change(model: str, pk) -> str:
    return reverse(f"admin:payments_{model}_change", args=[pk])


def _button(model: str, pk, name: str) -> str:
    return f"{_change(model, pk).removesuffix('change/')}{name.replace('_', '-')}/"


def test_every_screen_opens_without_raw_codes(world):
    finance = make_finance("adm_rc")
    adjustment = adjustment_propose(
        actor=make_finance("adm_rc_p"), discrepancy=world["far"], amount="1.00", note="x"
    )
    client = _client(finance)
    urls = [
        reverse("admin:payments_reconciliation_changelist"),
        reverse("admin:payments_discrepancy_changelist"),
        reverse("admin:payments_reconciliationadjustment_changelist"),
        reverse("admin:payments_reconciliation_upload"),
        _change("reconciliation", world["run"].pk),
        _change("discrepancy", world["near"].pk),
        _change("reconciliationadjustment", adjustment.pk),
    ]
    problems = []
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200:
            problems.append(f"{url}: HTTP {response.status_code}")
            continue
        page = _parse(response.content.decode())
        for text in page.cells + page.readonly:
            problems += [
                f"{url}: raw code {code!r}" for code in raw_codes(text) if "adm" not in code
            ]
    assert problems == []


def test_the_queue_is_scoped_and_searched_by_our_numbers_only(world):
    east = _client(make_finance("adm_east", regions=("east",)))
    url = reverse("admin:payments_discrepancy_changelist")
    shown = {row.pk for row in east.get(url).context["cl"].result_list}
    assert shown == {world["near"].pk}
    assert east.get(_change("discrepancy", world["far"].pk)).status_code in (302, 404)
    everyone = _client(make_finance("adm_all"))
    found = everyone.get(url, {"q": world["far"].transaction_no}).context["cl"].result_list
    assert [row.pk for row in found] == [world["far"].pk]
    by_channel_no = everyone.get(url, {"q": world["far"].channel_trade_no}).context["cl"]
    assert list(by_channel_no.result_list) == []


def test_resolve_button_needs_a_note_and_resolves(world):
    client = _client(make_finance("adm_res"))
    item = world["near"]
    assert "resolve/" in client.get(_change("discrepancy", item.pk)).content.decode()
    url = _button("discrepancy", item.pk, "resolve")
    assert client.post(url, {"_form_submitted": "on", "note": ""}).status_code == 200
    item.refresh_from_db()
    assert item.status == Discrepancy.Status.OPEN
    done = client.post(url, {"_form_submitted": "on", "note": "已核实"})
    assert done.status_code in (204, 302)
    item.refresh_from_db()
    assert item.status == Discrepancy.Status.RESOLVED and item.resolution_note == "已核实"


def test_propose_then_only_another_user_sees_and_uses_approve(world):
    proposer = make_finance("adm_prop")
    lead = make_finance("adm_lead")
    item = world["far"]
    response = _client(proposer).post(
        _button("discrepancy", item.pk, "propose"),
        {"_form_submitted": "on", "amount": "-9.00", "note": "渠道未收到"},
    )
    assert response.status_code in (204, 302)
    adjustment = ReconciliationAdjustment.objects.get(discrepancy=item)
    own_page = _client(proposer).get(_change("reconciliationadjustment", adjustment.pk))
    assert "approve/" not in own_page.content.decode()
    refused = _client(proposer).post(
        _button("reconciliationadjustment", adjustment.pk, "approve"), {"_form_submitted": "on"}
    )
    assert refused.status_code == 403
    lead_page = _client(lead).get(_change("reconciliationadjustment", adjustment.pk))
    assert "approve/" in lead_page.content.decode()
    approved = _client(lead).post(
        _button("reconciliationadjustment", adjustment.pk, "approve"),
        {"_form_submitted": "on", "note": "同意"},
    )
    assert approved.status_code in (204, 302)
    adjustment.refresh_from_db()
    assert adjustment.status == ReconciliationAdjustment.Status.APPROVED


def test_report_buttons_download_files(world):
    client = _client(make_finance("adm_dl"))
    csv = client.get(_button("reconciliation", world["run"].pk, "download_csv"))
    assert csv.status_code == 200 and "attachment" in csv["Content-Disposition"]
    xlsx = client.get(_button("reconciliation", world["run"].pk, "download_xlsx"))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    viewer = make_finance("adm_dl_v", perms=("payments.view_reconciliation",))
    assert _client(viewer).get(
        _button("reconciliation", world["run"].pk, "download_csv")
    ).status_code in (302, 403)


def test_nothing_can_be_added_or_deleted(world):
    client = _client(make_finance("adm_add"))
    for model in ("reconciliation", "discrepancy", "reconciliationadjustment"):
        assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403, model
