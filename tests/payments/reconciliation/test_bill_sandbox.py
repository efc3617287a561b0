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
