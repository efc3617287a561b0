"""Finance endpoints: filters, masking and audited reveals, detail parts, exports,
settlement and anomaly actions, callbacks, channel health, refusals as 4xx."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from mall.core.actors import system_actor
from ops.models import AuditEntry, StaffNotification
from payments.models import ChannelHealth, PaymentAnomaly, Settlement
from payments.services.settlement import settlement_compute
from rbac.models import SalesRegion
from tests.payments.scope_cases import (
    FINANCE_PERMISSIONS,
    PAYER,
    make_anomaly,
    make_callback,
    make_refund,
    make_staff_with_role,
    make_txn,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/payments/"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def finance():
    return make_staff_with_role("api_fin")


@pytest.fixture
def rows():
    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    paid = make_txn(region=east, channel="wechat", amount="88.00", fee="0.53")
    unpaid = make_txn(region=east, channel="sandbox", status="unpaid")
    far = make_txn(region=north, channel="alipay", amount="12.00", fee="0.07")
    return {"paid": paid, "unpaid": unpaid, "far": far}


def _nos(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["transaction_no"] for item in response.json()["results"]}


def test_transactions_filter_by_status_channel_purpose_numbers_and_dates(finance, rows):
    client = _client(finance)
    everything = _nos(client.get(f"{BASE}transactions/"))
    assert {r.transaction_no for r in rows.values()} <= everything
    assert _nos(client.get(f"{BASE}transactions/?status=unpaid")) & everything == {
        rows["unpaid"].transaction_no
    }
    assert rows["far"].transaction_no in _nos(client.get(f"{BASE}transactions/?channel=alipay"))
    assert rows["far"].transaction_no not in _nos(client.get(f"{BASE}transactions/?channel=wechat"))
    assert _nos(
        client.get(f"{BASE}transactions/", {"transaction_no": rows["paid"].transaction_no})
    ) == {rows["paid"].transaction_no}
    assert _nos(client.get(f"{BASE}transactions/", {"order_no": rows["far"].order.order_no})) == {
        rows["far"].transaction_no
    }
    assert _nos(client.get(f"{BASE}transactions/?purpose=recharge")) == set()
    soon = (timezone.now() + timedelta(hours=1)).isoformat()
    assert _nos(client.get(f"{BASE}transactions/", {"paid_after": soon})) == set()
    assert rows["paid"].transaction_no in _nos(
        client.get(f"{BASE}transactions/", {"paid_before": soon, "created_before": soon})
    )


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "channel=paypal",
        "purpose=gift",
        "paid_after=yesterday",
        "created_before=2026-13-45",
        "transaction_no=" + "9" * 40,
        "page_size=100000",
    ],
)
def test_bad_filters_are_400_in_the_error_shape(finance, query):
    response = _client(finance).get(f"{BASE}transactions/?{query}")
    assert response.status_code == 400
    assert "error" in response.json()


def test_a_regional_reader_sees_only_their_region(rows):
    east_fin = make_staff_with_role("east_fin", regions=("east",))
    client = _client(east_fin)
    listed = _nos(client.get(f"{BASE}transactions/"))
    assert rows["far"].transaction_no not in listed
    assert rows["paid"].transaction_no in listed
    assert client.get(f"{BASE}transactions/{rows['far'].pk}/").status_code == 404
    assert client.get(f"{BASE}transactions/abc/").status_code == 404


def test_the_payer_is_masked_without_the_pii_permission_and_a_reveal_is_audited(rows):
    clerk = make_staff_with_role("masked_fin", perms=("payments.view_paymenttransaction",))
    item = _client(clerk).get(f"{BASE}transactions/{rows['paid'].pk}/").json()
    assert item["payer"] != PAYER and "*" in item["payer"]
    assert item["payer"].startswith(PAYER[:4]) and item["payer"].endswith(PAYER[-4:])
    assert not AuditEntry.objects.filter(action="pii.reveal").exists()

    revealer = make_staff_with_role(
        "pii_fin", perms=("payments.view_paymenttransaction", "payments.view_payment_pii")
    )
    response = _client(revealer).get(
        f"{BASE}transactions/{rows['paid'].pk}/", HTTP_X_PII_REASON="客户投诉核对"
    )
    assert response.json()["payer"] == PAYER
    entry = AuditEntry.objects.get(action="pii.reveal", actor=revealer)
    assert entry.object_type == "payments.paymenttransaction"
    assert entry.object_id == str(rows["paid"].pk)


def test_the_detail_has_refunds_callbacks_without_body_and_anomalies(finance, rows):
    txn = rows["paid"]
    refund = make_refund(txn, amount="8.00", fee_back="0.05")
    callback = make_callback(txn)
    anomaly = make_anomaly(txn)
    body = _client(finance).get(f"{BASE}transactions/{txn.pk}/").json()
    assert body["paid_amount"] == "88.00" and body["fee_amount"] == "0.53"
    assert [r["refund_no"] for r in body["refunds"]] == [refund.refund_no]
    assert body["refunds"][0]["amount"] == "8.00"
    assert [c["id"] for c in body["callbacks"]] == [callback.pk]
    assert "body" not in body["callbacks"][0] and "headers" not in body["callbacks"][0]
    assert [a["id"] for a in body["anomalies"]] == [anomaly.pk]
    raw = _client(finance).get(f"{BASE}transactions/{txn.pk}/").content.decode()
    assert "RAW-BODY-MARKER" not in raw


def test_transaction_export_is_scoped_masked_and_audited(rows):
    east_fin = make_staff_with_role(
        "exp_fin",
        perms=("payments.view_paymenttransaction", "payments.export_paymenttransaction"),
        regions=("east",),
    )
    viewer = make_staff_with_role("exp_viewer", perms=("payments.view_paymenttransaction",))
    assert _client(viewer).get(f"{BASE}transactions/export/").status_code == 403
    response = _client(east_fin).get(f"{BASE}transactions/export/?format=csv&status=paid")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = [line for line in text.splitlines() if line]
    assert lines[0].startswith("transaction_no,channel_trade_no,purpose,order_no")
    assert len(lines) == 2 and lines[1].startswith(rows["paid"].transaction_no)
    assert "88.00" in lines[1] and PAYER not in text
    assert AuditEntry.objects.filter(
        action="data.export", object_type="payments.paymenttransaction"
    ).exists()
    assert _client(east_fin).get(f"{BASE}transactions/export/?format=xlsx").status_code == 200
    # an unknown format is refused (DRF's format negotiation: not found)
    assert _client(east_fin).get(f"{BASE}transactions/export/?format=pdf").status_code == 404


def test_refunds_list_filters_and_export(finance, rows):
    failed = make_refund(rows["paid"], amount="10.00", status="failed")
    done = make_refund(rows["far"], amount="2.00", fee_back="0.01")
    client = _client(finance)
    listed = client.get(f"{BASE}refunds/?status=failed").json()["results"]
    assert [r["refund_no"] for r in listed] == [failed.refund_no]
    assert listed[0]["last_error"] == "channel said no"
    by_txn = client.get(f"{BASE}refunds/", {"transaction_no": rows["far"].transaction_no})
    assert [r["refund_no"] for r in by_txn.json()["results"]] == [done.refund_no]
    assert client.get(f"{BASE}refunds/?status=nope").status_code == 400
    export = client.get(f"{BASE}refunds/export/?format=csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert failed.refund_no in text and done.refund_no in text


def test_refund_retry_needs_the_permission_and_the_scope(rows):
    failed = make_refund(rows["far"], amount="3.00", status="failed")
    viewer = make_staff_with_role("retry_viewer", perms=("payments.view_refund",))
    assert _client(viewer).post(f"{BASE}refunds/{failed.pk}/retry/").status_code == 403
    east_fin = make_staff_with_role("retry_east", regions=("east",))
    response = _client(east_fin).post(f"{BASE}refunds/{failed.pk}/retry/")
    assert response.status_code == 404
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_finance_retries_a_failed_refund_and_the_channel_pays_it(
    finance, rows, django_capture_on_commit_callbacks
):
    txn = make_txn(channel="sandbox", amount="40.00")
    failed = make_refund(txn, amount="15.00", status="failed")

    with django_capture_on_commit_callbacks(execute=True):
        answer = _client(finance).post(f"{BASE}refunds/{failed.pk}/retry/")

    assert answer.status_code == 200, answer.content
    failed.refresh_from_db()
    txn.refresh_from_db()
    assert failed.status == "succeeded"
    assert failed.channel_refund_no.startswith("SBXR")
    assert (txn.status, txn.refunded_amount) == ("partially_refunded", Decimal("15.00"))
    assert AuditEntry.objects.filter(action="payment.refund_retry").count() == 1


def test_settlements_confirm_recompute_export_and_refusals(finance, rows):
    today = timezone.localdate()
    row = settlement_compute(actor=system_actor(), channel="wechat", business_date=today)
    client = _client(finance)
    listed = client.get(f"{BASE}settlements/?channel=wechat&date_from={today}&date_to={today}")
    assert [s["id"] for s in listed.json()["results"]] == [row.pk]
    assert listed.json()["results"][0]["gross_amount"] == "88.00"
    assert client.get(f"{BASE}settlements/?date_from=someday").status_code == 400

    make_txn(channel="wechat", amount="12.00", fee="0.07")
    recomputed = client.post(f"{BASE}settlements/{row.pk}/recompute/")
    assert recomputed.status_code == 200
    assert recomputed.json()["gross_amount"] == "100.00"
    assert recomputed.json()["net_amount"] == "99.40"

    viewer = make_staff_with_role("settle_viewer", perms=("payments.view_settlement",))
    assert _client(viewer).post(f"{BASE}settlements/{row.pk}/confirm/").status_code == 403
    confirmed = client.post(f"{BASE}settlements/{row.pk}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["confirmed_by"]
    again = client.post(f"{BASE}settlements/{row.pk}/recompute/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    assert client.post(f"{BASE}settlements/{row.pk}/confirm/").status_code == 409
    assert client.post(f"{BASE}settlements/999999/confirm/").status_code == 404
    assert Settlement.objects.get(pk=row.pk).gross_amount == Decimal("100.00")
    export = client.get(f"{BASE}settlements/export/?format=csv")
    assert export.status_code == 200
    assert "100.00" in b"".join(export.streaming_content).decode("utf-8-sig")


def test_anomalies_resolve_with_a_note_and_the_notice_is_resolved(finance, rows):
    from ops.services.notifications import staff_notify_holders

    anomaly = make_anomaly(rows["paid"])
    staff_notify_holders(
        actor=system_actor(),
        permission="payments.manage_payment_anomaly",
        kind="payments.anomaly",
        title="支付异常",
        dedupe_key=f"payments.anomaly:{anomaly.pk}",
        subject=anomaly,
    )
    assert StaffNotification.objects.filter(recipient=finance, resolved_at__isnull=True).exists()
    client = _client(finance)
    assert [a["id"] for a in client.get(f"{BASE}anomalies/?status=open").json()["results"]] == [
        anomaly.pk
    ]
    assert client.get(f"{BASE}anomalies/?kind=bogus").status_code == 400
    missing = client.post(f"{BASE}anomalies/{anomaly.pk}/resolve/", {"note": "  "}, format="json")
    assert missing.status_code == 400
    assert (
        client.post(
            f"{BASE}anomalies/{anomaly.pk}/resolve/", {"note": "x" * 301}, format="json"
        ).status_code
        == 400
    )
    done = client.post(
        f"{BASE}anomalies/{anomaly.pk}/resolve/", {"note": "已与渠道核对，差额退回"}, format="json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "resolved"
    assert done.json()["resolution_note"] == "已与渠道核对，差额退回"
    anomaly.refresh_from_db()
    assert anomaly.resolved_by == finance and anomaly.resolved_at is not None
    assert not StaffNotification.objects.filter(
        recipient=finance, resolved_at__isnull=True
    ).exists()
    assert AuditEntry.objects.filter(action="payment.anomaly_resolve").count() == 1
    twice = client.post(f"{BASE}anomalies/{anomaly.pk}/resolve/", {"note": "再来"}, format="json")
    assert twice.status_code == 409


def test_resolving_needs_the_manage_permission(rows):
    anomaly = make_anomaly(rows["paid"])
    viewer = make_staff_with_role("anom_viewer", perms=("payments.view_paymentanomaly",))
    response = _client(viewer).post(
        f"{BASE}anomalies/{anomaly.pk}/resolve/", {"note": "看看"}, format="json"
    )
    assert response.status_code == 403
    assert PaymentAnomaly.objects.get(pk=anomaly.pk).status == "open"


def test_callbacks_are_read_only_for_holders_of_the_view_permission(finance, rows):
    good = make_callback(rows["paid"])
    bad = make_callback(rows["far"], outcome="rejected", verified=False)
    client = _client(finance)
    listed = client.get(f"{BASE}callbacks/?outcome=rejected").json()["results"]
    assert [c["id"] for c in listed] == [bad.pk]
    assert client.get(f"{BASE}callbacks/?verified=maybe").status_code == 400
    detail = client.get(f"{BASE}callbacks/{good.pk}/")
    assert detail.status_code == 200 and "RAW-BODY-MARKER" not in detail.content.decode()
    from payments.models import CallbackRecord

    before = CallbackRecord.objects.count()
    assert client.post(f"{BASE}callbacks/", {}, format="json").status_code in (403, 405)
    assert CallbackRecord.objects.count() == before
    nobody = make_staff_with_role("cb_nobody", perms=("payments.view_refund",))
    assert _client(nobody).get(f"{BASE}callbacks/").status_code == 403


def test_channel_health_lists_each_channel(finance):
    from payments.services.health import channel_health_compute

    channel_health_compute(actor=system_actor())
    body = _client(finance).get(f"{BASE}channels/health/").json()
    assert {row["channel"] for row in body} == {
        "wechat",
        "alipay",
        "unionpay",
        "balance",
        "sandbox",
    }
    assert {row["state"] for row in body} == {ChannelHealth.State.UNKNOWN}
    outsider = make_staff_with_role("health_out", perms=("payments.view_refund",))
    assert _client(outsider).get(f"{BASE}channels/health/").status_code == 403


def test_finance_permissions_are_all_real():
    from django.contrib.auth.models import Permission

    for perm in FINANCE_PERMISSIONS:
        app_label, codename = perm.split(".")
        assert Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).exists(), perm


def test_a_day_is_computed_on_request_and_bad_input_is_400(finance, rows):
    client = _client(finance)
    today = timezone.localdate().isoformat()
    made = client.post(
        f"{BASE}settlements/compute/", {"channel": "alipay", "business_date": today}, format="json"
    )
    assert made.status_code == 200, made.content
    assert made.json()["gross_amount"] == "12.00" and made.json()["payment_count"] == 1
    again = client.post(
        f"{BASE}settlements/compute/", {"channel": "alipay", "business_date": today}, format="json"
    )
    assert again.json()["id"] == made.json()["id"]
    assert Settlement.objects.filter(channel="alipay").count() == 1
    for body in (
        {"channel": "paypal", "business_date": today},
        {"channel": "alipay", "business_date": "yesterday"},
        {"channel": "alipay"},
        {"channel": "alipay", "business_date": "2999-01-01"},
    ):
        response = client.post(f"{BASE}settlements/compute/", body, format="json")
        assert response.status_code == 400, body
        assert "error" in response.json()
    viewer = make_staff_with_role("compute_viewer", perms=("payments.view_settlement",))
    refused = _client(viewer).post(
        f"{BASE}settlements/compute/", {"channel": "wechat", "business_date": today}, format="json"
    )
    assert refused.status_code == 403
    assert not Settlement.objects.filter(channel="wechat").exists()


@pytest.mark.parametrize("resource", ["transactions", "refunds", "anomalies", "callbacks"])
def test_a_list_page_costs_the_same_queries_for_2_or_12_rows(finance, resource):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def grow(count: int) -> None:
        for _n in range(count):
            txn = make_txn()
            make_refund(txn, amount="1.00", status="failed")
            make_anomaly(txn)
            make_callback(txn)

    client = _client(finance)
    client.get(f"{BASE}{resource}/")  # warm caches (permissions, parameters)
    grow(2)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(f"{BASE}{resource}/").json()["results"]) == 2
    grow(10)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{BASE}{resource}/").json()["results"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)
