"""The sandbox's bill: written from our transactions and refunds of the day, read back
by the WeChat reader; the gateway's download answers it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from payments.gateways.sandbox import SandboxGateway
from payments.reconciliation.bills import PAYMENT, REFUND
from payments.reconciliation.formats import bill_reader
from payments.reconciliation.sandbox_bill import sandbox_bill
from tests.payments.scope_cases import make_refund, make_txn

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)
pytestmark = pytest.mark.django_db


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def read(data: bytes):
    reader = bill_reader("sandbox", data, bill_date=DAY)
    rows = list(reader.rows())
    reader.finish()
    return reader, rows


@pytest.fixture
def day_of_records():
    before, after = DAY - timedelta(days=1), DAY + timedelta(days=1)
    first = make_txn(amount="100.00", fee="0.60", paid_at=at(DAY, 0))
    last = make_txn(amount="4.25", fee="0.03", paid_at=at(DAY, 23, 59, 59))
    old = make_txn(amount="50.00", fee="0.30", paid_at=at(before, 23, 59, 59))
    make_txn(amount="70.00", fee="0.42", paid_at=at(after, 0))  # the next day: not on it
    make_txn(status="unpaid", amount="80.00")
    make_txn(channel="wechat", amount="60.00", fee="0.36", paid_at=at(DAY, 10))
    partial = make_refund(first, amount="30.00", fee_back="0.18", at=at(DAY, 15))
    whole_old = make_refund(old, amount="50.00", fee_back="0.30", at=at(DAY, 9, 30))
    make_refund(first, amount="5.00", status="failed")
    make_refund(last, amount="1.00", fee_back="0.01", at=at(after, 0, 0, 1))  # next day
    return {"first": first, "last": last, "old": old, "partial": partial, "whole": whole_old}


def test_the_bill_holds_the_days_payments_and_succeeded_refunds_only(day_of_records):
    reader, rows = read(sandbox_bill(bill_date=DAY))
    first, last, old = day_of_records["first"], day_of_records["last"], day_of_records["old"]
    partial, whole = day_of_records["partial"], day_of_records["whole"]

    assert [(row.kind, row.transaction_no, row.refund_no) for row in rows] == [
        (PAYMENT, first.transaction_no, ""),
        (PAYMENT, last.transaction_no, ""),
        (REFUND, old.transaction_no, whole.refund_no),
        (REFUND, first.transaction_no, partial.refund_no),
    ]
    assert [(row.amount, row.settle_amount, row.fee_amount) for row in rows] == [
        (D("100.00"), D("100.00"), D("0.60")),
        (D("4.25"), D("4.25"), D("0.03")),
        (D("50.00"), D("50.00"), D("0.30")),
        (D("30.00"), D("30.00"), D("0.18")),
    ]
    assert rows[0].occurred_at == at(DAY, 0)
    assert rows[1].occurred_at == at(DAY, 23, 59, 59)
    assert rows[3].occurred_at == at(DAY, 15)
    assert reader.declared == reader.totals
    assert reader.totals.as_json() == {
        "payment_count": 2,
        "payment_amount": "104.25",
        "settle_amount": "104.25",
        "refund_count": 2,
        "refund_amount": "80.00",
        "fee_amount": "0.15",
    }
    assert reader.header["mchid"] == "sandbox"


def test_the_gateway_downloads_the_same_bill(day_of_records):
    gateway = SandboxGateway(config={})
    assert read(gateway.download_bill(bill_date=DAY))[1] == read(sandbox_bill(bill_date=DAY))[1]


def test_a_day_without_records_is_an_empty_bill_that_still_reads():
    reader, rows = read(sandbox_bill(bill_date=date(2026, 1, 1)))
    assert rows == []
    assert reader.declared.payment_count == 0


def test_the_bill_is_read_in_two_queries_however_many_records(django_assert_max_num_queries):
    for second in range(12):
        make_txn(amount="1.00", fee="0.01", paid_at=at(DAY, 8, 0, second))
    with django_assert_max_num_queries(2):
        data = sandbox_bill(bill_date=DAY)
    assert read(data)[0].totals.payment_count == 12


# --- bad field values end as bill_malformed naming the line, not internal_error ---------
# (review P3: on PostgreSQL a 70-character 商户订单号 or a long 退款状态 failed the run
# with a DataError → internal_error; the parsers now refuse them at their line.)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("transaction_no", "PT" + "7" * 68),
        ("channel_trade_no", "42\x0000001"),
        ("status", "PROCESSING_FOR_A_VERY_LONG_TIME"),
        ("amount", "99999999999999999999.00"),
    ],
)
def test_an_uploaded_bill_with_a_bad_field_is_refused_naming_the_line(column, value):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import override_settings
    from django.utils import timezone

    from payments.reconciliation.wechat_bill import write_bill
    from payments.services.reconciliation import reconciliation_start
    from tests.payments.reconciliation.matcher_support import numbered, unknown_row
    from tests.payments.reconciliation.queue_factories import make_finance

    day = timezone.localdate() - timedelta(days=1)
    rows = numbered([unknown_row(occurred_at=at(day, 9)), unknown_row(kind="refund")])
    text = write_bill(rows).decode()
    lines = text.split("\r\n")
    fields = lines[1][1:].split(",`")  # the payment line (line 2)
    refund = lines[2][1:].split(",`")  # the refund line (line 3)
    line = 2
    if column == "transaction_no":
        fields[6] = value
    elif column == "channel_trade_no":
        fields[5] = value
    elif column == "amount":
        fields[24] = value
    else:
        refund[19] = value
        line = 3
    lines[1] = "`" + ",`".join(fields)
    lines[2] = "`" + ",`".join(refund)
    data = "\r\n".join(lines).encode()
    finance = make_finance("fixp_fin")
    from payments.models import Reconciliation
    from payments.reconciliation.bills import BillFormatError

    # in the head: refused at submit, naming the line, and no run is made
    with (
        override_settings(PAYMENT_GATEWAYS={"sandbox": {"secret": "s"}}),
        pytest.raises(BillFormatError) as refused,
    ):
        reconciliation_start(
            actor=finance,
            channel="sandbox",
            bill_date=day,
            upload=SimpleUploadedFile("bill.csv", data, content_type="text/csv"),
        )
    assert refused.value.line == line
    assert not Reconciliation.objects.exists()
