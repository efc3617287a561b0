"""The finance screens (财务): each opens for the superuser and a finance user, reads
through the scope, shows no raw code, never a callback body, masks the payer; the
buttons (处理, 重新计算, 确认, 重试退款) show by permission and state and call the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from ops.models import AuditEntry
from payments.models import ChannelHealth, PaymentAnomaly, Settlement
from payments.services.settlement import settlement_compute
from rbac.models import SalesRegion
from tests.core.test_admin_walk import _no_chinese, _parse
from tests.e2e.helpers import raw_codes
from tests.payments.scope_cases import (
    PAYER,
    make_anomaly,
    make_callback,
    make_refund,
    make_staff_with_role,
    make_txn,
)

pytestmark = pytest.mark.django_db
MODELS = [
    "paymenttransaction",
    "refund",
    "paymentanomaly",
    "callbackrecord",
    "settlement",
    "channelhealth",
]


@pytest.fixture
def world():
    from django.utils import timezone

    from mall.core.actors import system_actor

    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    txn = make_txn(region=east, channel="wechat", amount="66.00", fee="0.40")
    far = make_txn(region=north, channel="alipay", amount="77.00", fee="0.46")
    rows = {
        "paymenttransaction": (txn, far),
        "refund": (
            make_refund(txn, amount="6.00", status="failed"),
            make_refund(far, amount="7.00", status="failed"),
        ),
        "paymentanomaly": (make_anomaly(txn), make_anomaly(far)),
        "callbackrecord": (
            make_callback(txn, outcome="rejected", verified=False),
            make_callback(far),
        ),
    }
    settlement = settlement_compute(
        actor=system_actor(), channel="wechat", business_date=timezone.localdate()
    )
    health = ChannelHealth.objects.create(channel="wechat", state="degraded", calls=9)
    return {"rows": rows, "settlement": settlement, "health": health}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _change(model: str, pk) -> str:
    return reverse(f"admin:payments_{model}_change", args=[pk])


def _button(model: str, pk, name: str) -> str:
    return f"{_change(model, pk).removesuffix('change/')}{name.replace('_', '-')}/"


def _pages(world) -> list[str]:
    urls = [reverse(f"admin:payments_{model}_changelist") for model in MODELS]
    for model, (mine, _far) in world["rows"].items():
        urls.append(_change(model, mine.pk))
    urls.append(_change("settlement", world["settlement"].pk))
    urls.append(_change("channelhealth", world["health"].pk))
    return urls


def _problems(client, urls, *, masked: bool = True) -> list[str]:
    found = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            found.append(f"{url}: HTTP {response.status_code}")
            continue
        html = response.content.decode()
        if "RAW-BODY-MARKER" in html:
            found.append(f"{url}: the callback body is shown")
        if masked and PAYER in html:
            found.append(f"{url}: the payer unmasked")
        page = _parse(html)
        for text in page.cells + page.readonly:
            found += [f"{url}: raw code {code!r}" for code in raw_codes(text)]
    return found


@pytest.mark.parametrize("who", ["superuser", "finance"])
def test_every_screen_opens_without_raw_codes_bodies_or_payers(world, superuser, who):
    user = superuser if who == "superuser" else make_staff_with_role("adm_fin")
    # the superuser holds every permission, the payer's too (that reveal is audited)
    assert _problems(_client(user), _pages(world), masked=who == "finance") == []


def test_the_sidebar_lists_the_finance_screens_for_finance(world):
    html = _client(make_staff_with_role("adm_nav")).get(reverse("admin:index")).content.decode()
    for model in MODELS:
        assert reverse(f"admin:payments_{model}_changelist") in html, model


def test_labels_read_in_chinese(world):
    """Column headers and form labels of every finance screen read in Chinese (with the
    payments catalog merged from tr-finance.py)."""
    client = _client(make_staff_with_role("adm_zh"))
    gaps = []
    with translation.override("zh-hans"):
        for url in _pages(world):
            page = _parse(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
            gaps += [f"{url}: {text}" for text in _no_chinese(page.headers + page.labels)]
    assert gaps == []


def test_lists_are_scoped_to_the_readers_region(world):
    client = _client(make_staff_with_role("adm_east", regions=("east",)))
    for model, (mine, far) in world["rows"].items():
        response = client.get(reverse(f"admin:payments_{model}_changelist"))
        assert response.status_code == 200
        shown = {row.pk for row in response.context["cl"].result_list}
        assert mine.pk in shown and far.pk not in shown, model
        assert client.get(_change(model, far.pk)).status_code in (302, 404), model


def test_the_payer_shows_to_pii_holders_and_the_reveal_is_audited(world, make_staff):
    txn = world["rows"]["paymenttransaction"][0]
    reader = make_staff_with_role(
        "adm_pii", perms=("payments.view_paymenttransaction", "payments.view_payment_pii")
    )
    html = _client(reader).get(_change("paymenttransaction", txn.pk)).content.decode()
    assert PAYER in html
    assert AuditEntry.objects.filter(action="pii.reveal", actor=reader).exists()


def test_the_transaction_page_shows_its_refunds_callbacks_and_anomalies(world):
    txn = world["rows"]["paymenttransaction"][0]
    refund = world["rows"]["refund"][0]
    html = _client(make_staff_with_role("adm_inl")).get(_change("paymenttransaction", txn.pk))
    text = html.content.decode()
    assert refund.refund_no in text
    assert str(PaymentAnomaly.Kind.AMOUNT_MISMATCH.label) in text


def test_exact_search_by_transaction_and_order_number(world):
    txn, _far = world["rows"]["paymenttransaction"]
    client = _client(make_staff_with_role("adm_search"))
    url = reverse("admin:payments_paymenttransaction_changelist")
    for term in (txn.transaction_no, txn.transaction_no.lower(), txn.order.order_no):
        shown = {row.pk for row in client.get(url, {"q": term}).context["cl"].result_list}
        assert shown == {txn.pk}, term
    assert client.get(url, {"password__startswith": "x"}).status_code == 400


def test_resolve_button_needs_a_note_and_resolves(world):
    anomaly = world["rows"]["paymentanomaly"][0]
    finance = make_staff_with_role("adm_resolve")
    client = _client(finance)
    page = client.get(_change("paymentanomaly", anomaly.pk)).content.decode()
    assert "resolve/" in page
    url = _button("paymentanomaly", anomaly.pk, "resolve")
    empty = client.post(url, {"_form_submitted": "on", "note": ""})
    assert empty.status_code == 200
    anomaly.refresh_from_db()
    assert anomaly.status == "open"
    done = client.post(url, {"_form_submitted": "on", "note": "已核对，金额退回"})
    assert done.status_code in (204, 302)
    anomaly.refresh_from_db()
    assert anomaly.status == "resolved" and anomaly.resolution_note == "已核对，金额退回"
    assert "resolve/" not in client.get(_change("paymentanomaly", anomaly.pk)).content.decode()

    viewer = make_staff_with_role("adm_anom_view", perms=("payments.view_paymentanomaly",))
    other = world["rows"]["paymentanomaly"][1]
    assert (
        "resolve/" not in _client(viewer).get(_change("paymentanomaly", other.pk)).content.decode()
    )
    assert (
        _client(viewer)
        .post(
            _button("paymentanomaly", other.pk, "resolve"), {"_form_submitted": "on", "note": "x"}
        )
        .status_code
        == 403
    )


def test_settlement_buttons_recompute_then_confirm(world):
    row = world["settlement"]
    client = _client(make_staff_with_role("adm_settle"))
    page = client.get(_change("settlement", row.pk)).content.decode()
    assert "recompute/" in page and "confirm/" in page
    make_txn(channel="wechat", amount="4.00", fee="0.02")
    assert client.post(
        _button("settlement", row.pk, "recompute"), {"_form_submitted": "on"}
    ).status_code in (204, 302)
    row.refresh_from_db()
    assert str(row.gross_amount) == "70.00"
    assert client.post(
        _button("settlement", row.pk, "confirm"), {"_form_submitted": "on"}
    ).status_code in (204, 302)
    row.refresh_from_db()
    assert row.status == Settlement.Status.CONFIRMED
    page = client.get(_change("settlement", row.pk)).content.decode()
    assert "recompute/" not in page and "confirm/" not in page


def test_retry_button_shows_for_failed_refunds_to_holders_of_the_permission(world):
    refund = world["rows"]["refund"][0]
    finance = make_staff_with_role("adm_retry")
    assert "retry/" in _client(finance).get(_change("refund", refund.pk)).content.decode()
    viewer = make_staff_with_role("adm_retry_view", perms=("payments.view_refund",))
    assert "retry/" not in _client(viewer).get(_change("refund", refund.pk)).content.decode()
    done = make_refund(world["rows"]["paymenttransaction"][0], amount="1.00")
    assert "retry/" not in _client(finance).get(_change("refund", done.pk)).content.decode()


def test_nothing_can_be_added_changed_or_deleted(world):
    client = _client(make_staff_with_role("adm_ro"))
    for model in MODELS:
        assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403, model
    txn = world["rows"]["paymenttransaction"][0]
    assert (
        client.post(_change("paymenttransaction", txn.pk), {"status": "refunded"}).status_code
        == 403
    )
    txn.refresh_from_db()
    assert txn.status == "paid"


def test_the_demo_roles_get_their_payments_permissions():
    import io

    from django.contrib.auth import get_user_model

    from mall.core.management.commands.seed_demo import seed_superuser
    from payments import demo as payments_demo
    from rbac import demo as rbac_demo

    seed_superuser()
    rbac_demo.seed(stdout=io.StringIO())
    payments_demo.seed(stdout=io.StringIO())
    payments_demo.seed(stdout=io.StringIO())  # idempotent
    users = get_user_model().objects
    finance = users.get(username="finance")
    assert finance.has_perm("payments.manage_payment_anomaly")
    assert finance.has_perm("payments.confirm_settlement")
    assert finance.has_perm("payments.retry_refund")
    assert not finance.has_perm("payments.view_payment_pii")
    lead = users.get(username="ops_lead")
    assert lead.has_perm("payments.view_paymenttransaction")
    assert lead.has_perm("payments.view_settlement")
    assert not lead.has_perm("payments.confirm_settlement")
    assert not lead.has_perm("payments.retry_refund")
    tech = users.get(username="tech_lead")
    assert tech.has_perm("payments.view_channelhealth")
    assert tech.has_perm("payments.view_callbackrecord")


@pytest.mark.parametrize(
    "model", ["paymenttransaction", "refund", "paymentanomaly", "callbackrecord"]
)
def test_a_changelist_costs_the_same_queries_for_2_or_12_rows(model):
    """No query per row (order numbers, transaction numbers, colours, masked payers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def grow(count: int) -> None:
        for _n in range(count):
            txn = make_txn()
            make_refund(txn, amount="1.00", status="failed")
            make_anomaly(txn)
            make_callback(txn)

    client = _client(make_staff_with_role("admin_counts"))
    url = reverse(f"admin:payments_{model}_changelist")
    assert client.get(url).status_code == 200  # warm caches (permissions, parameters)
    grow(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    grow(10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
