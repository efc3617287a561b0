"""The finance reconciliation endpoints: shapes, filters, scope (404), actions, refusals
as 4xx in the error shape."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from payments.models import Discrepancy, ReconciliationAdjustment
from payments.models.reconciliation import SUMMARY_KEYS
from rbac.models import SalesRegion
from tests.payments.reconciliation.queue_factories import (
    make_discrepancy,
    make_finance,
    make_run,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/finance/"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def data():
    east = SalesRegion.objects.get(code="east")
    north = SalesRegion.objects.get(code="north")
    run = make_run(bill_date=datetime.date(2026, 11, 27))
    other = make_run(channel="wechat", bill_date=datetime.date(2026, 11, 26))
    near = make_discrepancy(run, region=east)
    far = make_discrepancy(run, region=north, kind="platform_only", channel_amount=None)
    orphan = make_discrepancy(run, kind="channel_only", no_record=True, our_amount=None)
    make_discrepancy(other, region=east, kind="duplicate")
    return {"run": run, "other": other, "near": near, "far": far, "orphan": orphan}


def test_run_list_filters_and_detail_shape(data):
    client = _client(make_finance("api_a"))
    response = client.get(f"{BASE}reconciliations/")
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["results"]}
    assert ids == {data["run"].pk, data["other"].pk}
    only = client.get(f"{BASE}reconciliations/?channel=wechat").json()["results"]
    assert [item["id"] for item in only] == [data["other"].pk]
    dated = client.get(f"{BASE}reconciliations/?bill_date=2026-11-27").json()["results"]
    assert [item["id"] for item in dated] == [data["run"].pk]
    assert client.get(f"{BASE}reconciliations/?status=bogus").status_code == 400

    detail = client.get(f"{BASE}reconciliations/{data['run'].pk}/").json()
    assert detail["status"] == "done" and detail["progress"] == 100
    assert set(detail["summary"]) == set(SUMMARY_KEYS)
    assert detail["summary"]["matched"] == 3 and detail["summary"]["cross_day"] == 0
    assert detail["open_count"] == 3 and "totals" in detail
    assert client.get(f"{BASE}reconciliations/999999/").status_code == 404
    assert client.get(f"{BASE}reconciliations/abc/").status_code == 404


def test_runs_need_the_function_permission(data):
    viewer = make_finance("api_noview", perms=("payments.view_discrepancy",))
    assert _client(viewer).get(f"{BASE}reconciliations/").status_code == 403
    assert _client(viewer).get(f"{BASE}discrepancies/").status_code == 200


def test_a_regional_user_works_the_queue_but_never_reads_a_whole_bills_figures(data):
    """A run's summary, totals, open figures and report are sums over every region's
    items: a regional user gets 404 for the run (list empty, report refused) and reads
    their region's items in the queue only."""
    east = _client(make_finance("api_east", regions=("east",)))
    run = data["run"].pk
    assert east.get(f"{BASE}reconciliations/").json()["results"] == []
    for path in ("", "discrepancies/", "report/?format=csv"):
        response = east.get(f"{BASE}reconciliations/{run}/{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    queue = east.get(f"{BASE}discrepancies/").json()["results"]
    east_items = Discrepancy.objects.filter(region__code="east").values_list("pk", flat=True)
    assert {item["id"] for item in queue} == set(east_items) and data["near"].pk in east_items


def test_run_discrepancies_are_listed_and_filtered(data):
    url = f"{BASE}reconciliations/{data['run'].pk}/discrepancies/"
    items = _client(make_finance("api_all0")).get(url, {"kind": "amount_mismatch"}).json()
    items = items["results"]
    assert [item["id"] for item in items] == [data["near"].pk]
    item = items[0]
    for key in (
        "kind",
        "transaction_no",
        "refund_no",
        "channel_trade_no",
        "our_amount",
        "channel_amount",
        "status",
    ):
        assert key in item
    assert item["our_amount"] == "9.00" and item["channel_amount"] == "10.00"
    everyone = _client(make_finance("api_all"))
    all_ids = {i["id"] for i in everyone.get(url).json()["results"]}
    assert all_ids == {data["near"].pk, data["far"].pk, data["orphan"].pk}
    kinds = everyone.get(url, {"kind": "channel_only"}).json()["results"]
    assert [i["id"] for i in kinds] == [data["orphan"].pk]
    assert everyone.get(url, {"kind": "nope"}).status_code == 400


def test_the_queue_lists_across_runs_with_a_bounded_number_of_queries(data):
    client = _client(make_finance("api_q"))
    client.get(f"{BASE}discrepancies/")  # warm the permission cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{BASE}discrepancies/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 4
    first = len(queries)
    for _ in range(5):
        make_discrepancy(data["run"])
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{BASE}discrepancies/")
    assert len(queries) == first
    numbers = client.get(
        f"{BASE}discrepancies/", {"transaction_no": data["near"].transaction_no}
    ).json()["results"]
    assert [i["id"] for i in numbers] == [data["near"].pk]
    dated = client.get(f"{BASE}discrepancies/?date_from=2026-11-27&status=open").json()
    assert data["near"].pk in {i["id"] for i in dated["results"]}


def test_out_of_scope_discrepancy_is_404_for_reads_and_actions(data):
    east = _client(make_finance("api_east2", regions=("east",)))
    far = data["far"].pk
    assert east.get(f"{BASE}discrepancies/{far}/").status_code == 404
    response = east.post(f"{BASE}discrepancies/{far}/resolve/", {"note": "x"}, format="json")
    assert response.status_code == 404
    assert east.post(f"{BASE}discrepancies/{data['orphan'].pk}/requery/").status_code == 404


def test_resolve_propose_approve_through_the_api(data):
    finance = make_finance("api_p")
    lead = make_finance("api_l")
    near, far = data["near"], data["far"]
    client = _client(finance)
    response = client.post(f"{BASE}discrepancies/{near.pk}/resolve/", {"note": ""}, format="json")
    assert response.status_code == 400 and "note" in str(response.json())
    response = client.post(
        f"{BASE}discrepancies/{near.pk}/resolve/", {"note": "已核实"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    again = client.post(f"{BASE}discrepancies/{near.pk}/resolve/", {"note": "x"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"

    bad = client.post(
        f"{BASE}discrepancies/{far.pk}/adjustments/", {"amount": "abc", "note": "x"}, format="json"
    )
    assert bad.status_code == 400
    zero = client.post(
        f"{BASE}discrepancies/{far.pk}/adjustments/", {"amount": "0", "note": "x"}, format="json"
    )
    assert zero.status_code == 400
    proposed = client.post(
        f"{BASE}discrepancies/{far.pk}/adjustments/",
        {"amount": "-9.00", "note": "渠道未收到"},
        format="json",
    )
    assert proposed.status_code == 201, proposed.content
    adjustment_id = proposed.json()["id"]
    assert proposed.json()["status"] == "proposed" and proposed.json()["amount"] == "-9.00"

    own = client.post(f"{BASE}adjustments/{adjustment_id}/approve/", {}, format="json")
    assert own.status_code == 403 and own.json()["error"]["code"] == "same_approver"
    waiting = _client(lead).get(f"{BASE}adjustments/?status=proposed").json()["results"]
    assert [i["id"] for i in waiting] == [adjustment_id]
    approved = _client(lead).post(
        f"{BASE}adjustments/{adjustment_id}/approve/", {"note": "同意"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert Discrepancy.objects.get(pk=far.pk).status == "adjusted"
    twice = _client(lead).post(f"{BASE}adjustments/{adjustment_id}/reject/", {"note": "x"})
    assert twice.status_code in (403, 409)
    run = _client(lead).get(f"{BASE}reconciliations/{data['run'].pk}/").json()
    assert run["open_count"] == 1  # the orphan


def test_reject_needs_a_note_and_the_approver_permission(data):
    finance = make_finance("api_p2")
    adjustment = ReconciliationAdjustment.objects.create(
        discrepancy=data["near"],
        region=data["near"].region,
        amount="1.00",
        note="x",
        proposed_by=finance,
    )
    proposer_only = make_finance(
        "api_prop",
        perms=("payments.view_reconciliationadjustment", "payments.propose_adjustment"),
    )
    url = f"{BASE}adjustments/{adjustment.pk}/reject/"
    assert _client(proposer_only).post(url, {"note": "x"}, format="json").status_code == 403
    lead = _client(make_finance("api_l2"))
    assert lead.post(url, {"note": ""}, format="json").status_code == 400
    response = lead.post(url, {"note": "理由不足"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_report_downloads_csv_and_xlsx_and_refuses_other_formats(data):
    client = _client(make_finance("api_r"))
    url = f"{BASE}reconciliations/{data['run'].pk}/report/"
    csv = client.get(url, {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "attachment" in csv["Content-Disposition"]
    assert data["near"].transaction_no in csv.content.decode("utf-8")
    xlsx = client.get(url, {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(url, {"format": "pdf"}).status_code in (400, 404)
    no_export = make_finance("api_noexp", perms=("payments.view_reconciliation",))
    assert _client(no_export).get(url).status_code == 403


def test_upload_without_a_file_is_400_not_500(data):
    client = _client(make_finance("api_u"))
    response = client.post(
        f"{BASE}reconciliations/",
        {"channel": "wechat", "bill_date": "2026-11-27"},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in str(response.json())
    response = client.post(
        f"{BASE}reconciliations/", {"channel": "nope", "bill_date": "x"}, format="multipart"
    )
    assert response.status_code == 400


@override_settings(PAYMENT_GATEWAYS={"sandbox": {"secret": "s"}, "wechat": {}, "alipay": {}})
def test_upload_starts_a_run_202_and_a_second_of_the_same_bill_is_409():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from payments.reconciliation.wechat_bill import write_bill

    client = _client(make_finance("api_up"))
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()

    def post():
        bill = SimpleUploadedFile("bill.csv", write_bill([]), content_type="text/csv")
        return client.post(
            f"{BASE}reconciliations/",
            {"channel": "sandbox", "bill_date": day, "file": bill},
            format="multipart",
        )

    first = post()
    assert first.status_code == 202, first.content
    assert set(first.json()) == {"id", "status"} and first.json()["status"] == "queued"
    second = post()
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "reconciliation_running"
    assert client.get(f"{BASE}reconciliations/{first.json()['id']}/").json()["source"] == "upload"


def test_sees_every_row_is_true_only_for_an_unconditioned_scope():
    """The kernel's check behind the runs' rule (mall.core.scoping.sees_every_row)."""
    from django.contrib.auth import get_user_model

    from mall.core.scoping import sees_every_row
    from payments.models import Reconciliation

    assert sees_every_row(make_finance("sev_all"), Discrepancy) is True
    assert sees_every_row(make_finance("sev_east", regions=("east",)), Discrepancy) is False
    assert sees_every_row(make_finance("sev_east2", regions=("east",)), Reconciliation) is True
    outsider = get_user_model().objects.create_user("sev_member_like", password="x-Pass-1234")
    assert sees_every_row(outsider, Discrepancy) is False  # not staff: nothing


GATEWAYS = {"sandbox": {"secret": "s"}, "wechat": {}, "alipay": {}}


def _yesterday() -> str:
    from django.utils import timezone

    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def _bill(data: bytes, name: str = "bill.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
@pytest.mark.parametrize(
    ("channel", "data", "line"),
    [
        ("sandbox", b"x", 1),
        ("wechat", b"  \r\n", 1),
        ("wechat", "交易时间,商户号\r\n".encode("gbk"), 1),
        ("alipay", b"\xef\xbb\xbf\xe4\xba\xa4\xe6\x98\x93\xe6\x97\xb6\xe9\x97\xb4,x\r\n", 1),
    ],
)
def test_an_upload_that_is_not_the_channels_bill_is_400_at_once(channel, data, line):
    from payments.models import Reconciliation

    client = _client(make_finance(f"api_sniff_{channel}"))
    response = client.post(
        f"{BASE}reconciliations/",
        {"channel": channel, "bill_date": _yesterday(), "file": _bill(data)},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "bill_malformed"
    assert f"{line}" in error["message"]
    assert not Reconciliation.objects.filter(channel=channel, source="upload").exists()


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_an_alipay_zip_and_a_wechat_bill_pass_the_submit_check():
    import io
    import zipfile

    from payments.reconciliation.alipay_bill import write_bill as alipay_bill
    from payments.reconciliation.wechat_bill import write_bill

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2088_20261127_业务明细.csv", alipay_bill([]))
    client = _client(make_finance("api_sniff_ok"))
    for channel, data in (("alipay", buffer.getvalue()), ("wechat", write_bill([]))):
        response = client.post(
            f"{BASE}reconciliations/",
            {"channel": channel, "bill_date": _yesterday(), "file": _bill(data)},
            format="multipart",
        )
        assert response.status_code == 202, response.content


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "today", "2999-01-01"])
def test_an_upload_for_an_absurd_or_unfinished_day_is_400_with_fields(day):
    from django.utils import timezone

    from payments.models import Reconciliation
    from payments.reconciliation.wechat_bill import write_bill

    if day == "today":
        day = timezone.localdate().isoformat()
    client = _client(make_finance("api_day"))
    response = client.post(
        f"{BASE}reconciliations/",
        {"channel": "sandbox", "bill_date": day, "file": _bill(write_bill([]))},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["bill_date"]
    assert not Reconciliation.objects.filter(source="upload").exists()


@override_settings(PAYMENT_GATEWAYS=GATEWAYS)
def test_the_admin_upload_form_refuses_a_wrong_file_and_a_wrong_day_at_once():
    from django.test import Client
    from django.urls import reverse

    from payments.models import Reconciliation
    from payments.reconciliation.wechat_bill import write_bill

    client = Client()
    client.force_login(make_finance("adm_up"))
    url = reverse("admin:payments_reconciliation_upload")
    wrong_file = client.post(
        url, {"channel": "wechat", "bill_date": _yesterday(), "file": _bill(b"not a bill")}
    )
    assert wrong_file.status_code == 200
    assert wrong_file.context["form"].non_field_errors()
    wrong_day = client.post(
        url, {"channel": "wechat", "bill_date": "1999-12-31", "file": _bill(write_bill([]))}
    )
    assert wrong_day.status_code == 200
    assert "bill_date" in wrong_day.context["form"].errors
    assert not Reconciliation.objects.filter(source="upload").exists()
    good = client.post(
        url, {"channel": "wechat", "bill_date": _yesterday(), "file": _bill(write_bill([]))}
    )
    assert good.status_code == 302
    assert Reconciliation.objects.filter(source="upload", channel="wechat").count() == 1


def test_the_adjustment_list_costs_the_same_queries_for_one_row_or_six():
    """Each adjustment shows its region: read with the list, never a query per row."""
    from payments.services.discrepancies import adjustment_propose

    east = SalesRegion.objects.get(code="east")
    client = _client(make_finance("adj_q"))
    run = make_run(bill_date=datetime.date(2026, 11, 20))
    adjustment_propose(
        actor=make_finance("adj_q0"),
        discrepancy=make_discrepancy(run, region=east),
        amount="1.00",
        note="一",
    )
    client.get(f"{BASE}adjustments/")  # warm the permission cache
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(f"{BASE}adjustments/").json()["results"]) == 1
    first = len(queries)
    for number in range(1, 6):
        adjustment_propose(
            actor=make_finance(f"adj_q{number}"),
            discrepancy=make_discrepancy(run, region=east),
            amount="1.00",
            note="再",
        )
    client.get(f"{BASE}adjustments/")  # new proposers' roles reset the scope cache
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(f"{BASE}adjustments/").json()["results"]) == 6
    assert len(queries) == first
