"""The WeChat Pay trade bill (type ALL): golden file, round trip, every malformed case."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from payments.reconciliation.bills import PAYMENT, REFUND, BillFormatError, BillRow, BillTotals
from payments.reconciliation.formats import bill_reader
from payments.reconciliation.wechat_bill import WechatBillReader, write_bill

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def golden() -> bytes:
    return (FIXTURES / "wechat_all.csv").read_bytes()


def read(data: bytes) -> tuple[WechatBillReader, list[BillRow]]:
    reader = WechatBillReader(data=data)
    rows = list(reader.rows())
    reader.finish()
    return reader, rows


def error_of(data: bytes) -> BillFormatError:
    with pytest.raises(BillFormatError) as caught:
        read(data)
    return caught.value


def lines_of(data: bytes = b"") -> list[str]:
    return (data or golden()).decode("utf-8-sig").split("\r\n")


def joined(lines: list[str]) -> bytes:
    return "\r\n".join(lines).encode("utf-8")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_golden_file_parses_to_its_rows_totals_and_header():
    reader, rows = read(golden())

    assert rows == [
        BillRow(2, PAYMENT, at("2026-11-27 09:15:02"), "PT00000000000001",
                "4200002026112700000000000001", "", "", D("99.00"), D("99.00"), D("0.59"),
                "SUCCESS"),
        BillRow(3, PAYMENT, at("2026-11-27 12:30:45"), "PT00000000000002",
                "4200002026112700000000000002", "", "", D("50.00"), D("45.00"), D("0.27"),
                "SUCCESS"),
        # 0.05940 is rounded half-up to the cent
        BillRow(4, PAYMENT, at("2026-11-27 23:59:58"), "PT00000000000003",
                "4200002026112700000000000003", "", "", D("9.90"), D("9.90"), D("0.06"),
                "SUCCESS"),
        BillRow(5, REFUND, at("2026-11-27 16:05:00"), "PT00000000000001",
                "4200002026112700000000000001", "RF00000000000011",
                "50300002026112700000000000001", D("30.00"), D("30.00"), D("0.18"), "REFUND"),
        BillRow(6, REFUND, at("2026-11-27 18:40:10"), "PT00000000000009",
                "4200002026112600000000000009", "RF00000000000012",
                "50300002026112700000000000002", D("20.00"), D("20.00"), D("0.12"), "REFUND"),
    ]  # fmt: skip
    assert reader.totals.as_json() == {
        "payment_count": 3,
        "payment_amount": "158.90",
        "settle_amount": "153.90",
        "refund_count": 2,
        "refund_amount": "50.00",
        "fee_amount": "0.62",
    }
    # the summary restated: 订单总金额 257.90 less the refund line's 99.00
    assert reader.declared.as_json() == reader.totals.as_json()
    assert reader.header["appid"] == "wx8888888888888888"
    assert reader.header["mchid"] == "1900000001"
    assert reader.header["rows"] == 5
    assert reader.header["summary"] == {
        "总交易单数": "5",
        "应结订单总金额": "153.90",
        "退款总金额": "50.00",
        "充值券退款总金额": "0.00",
        "手续费总金额": "0.61940",
        "订单总金额": "257.90",
        "申请退款总金额": "50.00",
    }
    for row in rows:
        for amount in (row.amount, row.settle_amount, row.fee_amount):
            assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2


def test_the_registry_reads_wechat_and_sandbox_bills_with_this_reader():
    assert isinstance(bill_reader("wechat", golden()), WechatBillReader)
    assert isinstance(bill_reader("sandbox", golden()), WechatBillReader)


def test_a_file_without_bom_and_with_lf_line_ends_reads_the_same():
    plain = golden().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    assert [row[1:] for row in read(plain)[1]] == [row[1:] for row in read(golden())[1]]


def test_rows_written_by_write_bill_read_back_the_same():
    _reader, rows = read(golden())
    again, rows_again = read(write_bill(rows, mchid="1900000001", appid="wx8888888888888888"))

    assert [row[1:] for row in rows_again] == [row[1:] for row in rows]
    assert again.totals == again.declared
    assert again.header["mchid"] == "1900000001"


def test_write_bill_of_no_rows_is_a_bill_of_no_rows():
    reader, rows = read(write_bill([]))
    assert rows == []
    assert reader.declared == BillTotals()


def test_a_refund_still_processing_is_a_row_marked_with_its_state():
    lines = lines_of()
    lines[4] = lines[4].replace("`ORIGINAL,`SUCCESS,", "`ORIGINAL,`PROCESSING,")
    _reader, rows = read(joined(lines))
    assert rows[3].channel_status == "REFUND/PROCESSING"
    assert rows[4].channel_status == "REFUND"


# --- malformed files: each names its line -------------------------------------------


def test_a_gbk_file_is_refused_at_line_1():
    text = golden().decode("utf-8-sig")
    error = error_of(text.encode("gbk"))
    assert error.line == 1
    assert "UTF-8" in error.message


def test_an_alipay_file_read_as_wechat_is_refused_at_line_1():
    assert error_of((FIXTURES / "alipay_detail.csv").read_bytes()).line == 1


def test_invalid_utf8_inside_a_detail_line_names_that_line():
    data = golden().replace("袜子".encode(), b"\xff\xfe")
    assert error_of(data).line == 4


def test_a_header_lacking_a_column_is_refused_at_line_1_naming_it():
    lines = lines_of()
    lines[0] = lines[0].replace(",手续费,", ",")
    error = error_of(joined(lines))
    assert error.line == 1
    assert "手续费" in error.message


def test_a_detail_line_with_a_field_missing_names_its_line():
    lines = lines_of()
    lines[2] = lines[2].replace("`0.27000,", "")
    error = error_of(joined(lines))
    assert error.line == 3
    assert "26" in error.message and "27" in error.message


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("`45.00,", "`45.0O,", "应结订单金额"),
        ("`50.00,`0.00,`", "`5e1,`0.00,`", "订单金额"),
        ("`0.27000,", "`0.270001,", "手续费"),
        ("`50.00,`0.00,`", "`NaN,`0.00,`", "订单金额"),
        ("`50.00,`0.00,`", "`50.001,`0.00,`", "订单金额"),
    ],
)
def test_a_bad_amount_names_its_line_and_column(old, new, column):
    lines = lines_of()
    assert old in lines[2]
    lines[2] = lines[2].replace(old, new, 1)
    error = error_of(joined(lines))
    assert error.line == 3
    assert column in error.message


@pytest.mark.parametrize("when", ["2026-11-31 10:00:00", "2026/11/27 10:00:00", "2026-11-27"])
def test_a_bad_time_names_its_line(when):
    lines = lines_of()
    lines[3] = lines[3].replace("2026-11-27 23:59:58", when)
    error = error_of(joined(lines))
    assert error.line == 4
    assert "交易时间" in error.message


def test_a_detail_line_without_backticks_names_its_line():
    lines = lines_of()
    lines[4] = lines[4].replace("`", "")
    assert error_of(joined(lines)).line == 5


def test_a_revoked_payment_is_refused_naming_its_line():
    lines = lines_of()
    lines[1] = lines[1].replace("`SUCCESS,", "`REVOKED,", 1)
    error = error_of(joined(lines))
    assert error.line == 2
    assert "REVOKED" in error.message


def test_a_refund_line_with_a_positive_fee_is_refused():
    lines = lines_of()
    lines[4] = lines[4].replace("`-0.18000,", "`0.18000,")
    assert error_of(joined(lines)).line == 5


def test_a_file_cut_before_its_summary_is_refused_at_finish():
    lines = lines_of()[:6]  # header and the five detail lines
    reader = WechatBillReader(data=joined(lines))
    assert len(list(reader.rows())) == 5
    with pytest.raises(BillFormatError) as caught:
        reader.finish()
    assert caught.value.line == 6
    assert "truncated" in caught.value.message


def test_a_summary_header_without_its_line_is_refused():
    lines = lines_of()[:7]
    assert error_of(joined(lines)).line == 7


def test_a_summary_that_does_not_add_up_is_refused_at_finish_naming_the_summary_line():
    lines = lines_of()
    lines[7] = lines[7].replace("`50.00,`0.00", "`50.01,`0.00")
    reader = WechatBillReader(data=joined(lines))
    list(reader.rows())
    with pytest.raises(BillFormatError) as caught:
        reader.finish()
    assert caught.value.line == 8
    assert "退款总金额" in caught.value.message


def test_a_summary_counting_other_lines_is_refused():
    lines = lines_of()
    lines[7] = lines[7].replace("`5,", "`3,")
    error = error_of(joined(lines))
    assert error.line == 8
    assert "3" in error.message and "5" in error.message


def test_a_wrong_summary_written_by_write_bill_is_refused():
    _reader, rows = read(golden())
    wrong = BillTotals(
        payment_count=3,
        payment_amount=D("158.90"),
        settle_amount=D("153.90"),
        refund_count=2,
        refund_amount=D("50.00"),
        fee_amount=D("0.63"),
    )
    error = error_of(write_bill(rows, declared=wrong))
    assert error.line == 8
    assert "手续费总金额" in error.message


def test_text_after_the_summary_line_is_refused():
    lines = lines_of()
    lines.insert(8, "`1,`2")
    assert error_of(joined(lines)).line == 9


def test_an_empty_file_is_refused():
    assert error_of(b"").line == 1
    assert error_of(b"\xef\xbb\xbf\r\n").line == 1


# --- field bounds (review P3 "bad field values": they failed in the database) -----------


def _with_field(line_index: int, column: int, value: str) -> bytes:
    lines = lines_of()
    fields = lines[line_index][1:].split(",`")
    fields[column] = value
    lines[line_index] = "`" + ",`".join(fields)
    return joined(lines)


@pytest.mark.parametrize(
    ("line_index", "column", "value", "named"),
    [
        (2, 6, "PT" + "0" * 68, "商户订单号"),
        (2, 5, "42" + "0" * 63, "微信订单号"),
        (2, 6, "PT0000\x0000002", "商户订单号"),
        (2, 5, "4200\t0001", "微信订单号"),
        (4, 15, "RF" + "1" * 63, "商户退款单号"),
        (4, 14, "5030\x7f0001", "微信退款单号"),
        (4, 19, "PROCESSING_FOR_A_VERY_LONG_TIME", "退款状态"),
        (4, 19, "CHANGE\x00", "退款状态"),
    ],
)
def test_over_long_or_control_character_fields_are_refused_naming_the_line(
    line_index, column, value, named
):
    error = error_of(_with_field(line_index, column, value))
    assert error.line == line_index + 1
    assert named in error.message


def test_fields_at_their_column_widths_are_read():
    data = _with_field(2, 6, "P" * 64)
    lines = lines_of(data)
    fields = lines[4][1:].split(",`")
    fields[19] = "S" * 23  # "REFUND/" + 23 = 30 characters
    lines[4] = "`" + ",`".join(fields)
    _reader, rows = read(joined(lines))
    assert rows[1].transaction_no == "P" * 64
    assert rows[3].channel_status == "REFUND/" + "S" * 23


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        (24, "10000000000.00", "订单金额"),
        (24, "99999999999999999999.00", "订单金额"),
        (12, "-10000000000.00", "应结订单金额"),
        (22, "12345678901.00000", "手续费"),
    ],
)
def test_an_absurd_amount_is_refused_naming_the_line(column, value, named):
    error = error_of(_with_field(2, column, value))
    assert error.line == 3
    assert named in error.message


# --- the submit check (review P3 "bill uploads are not checked when submitted") ---------


def test_sniff_passes_the_bill_and_its_head():
    from payments.reconciliation.bills import HEAD_BYTES, sniff

    sniff("wechat", golden())
    sniff("sandbox", golden())
    many = write_bill(
        [
            BillRow(
                0,
                PAYMENT,
                at("2026-11-27 10:00:00"),
                f"PT{n:014d}",
                f"42{n:026d}",
                "",
                "",
                D("1.00"),
                D("1.00"),
                D("0.01"),
                "SUCCESS",
            )
            for n in range(1000)
        ]
    )
    assert len(many) > HEAD_BYTES
    sniff("wechat", many[:HEAD_BYTES])  # cut inside a line: that line is not read


def test_sniff_forgives_a_summary_line_past_the_cut():
    from payments.reconciliation.bills import HEAD_BYTES, sniff

    data = golden()
    summary_header = data.index("总交易单数".encode())
    end_of_header = data.index(b"\n", summary_header) + 1
    head = data[:end_of_header] + b"`" * (HEAD_BYTES - end_of_header)  # the file goes on
    sniff("wechat", head)
    with pytest.raises(BillFormatError):  # a whole (short) file is not forgiven
        sniff("wechat", data[:end_of_header])


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"", 1),
        (b"  \r\n", 1),
        (b"x", 1),
        (b"\x89PNG\r\n\x1a\n\x00\x00", 1),
        ("交易时间,商户号\r\n".encode("gbk"), 1),
        ((FIXTURES / "alipay_detail.csv").read_bytes(), 1),
    ],
)
def test_sniff_refuses_what_is_not_a_wechat_bill(data, line):
    from payments.reconciliation.bills import sniff

    with pytest.raises(BillFormatError) as caught:
        sniff("wechat", data)
    assert caught.value.line == line
    assert caught.value.code == "bill_malformed"


def test_sniff_reads_the_first_detail_lines_too():
    from payments.reconciliation.bills import sniff

    lines = lines_of()
    lines[2] = lines[2].replace("`45.00,", "`45.0O,", 1)
    with pytest.raises(BillFormatError) as caught:
        sniff("wechat", joined(lines))
    assert caught.value.line == 3


def test_sniff_lets_channels_without_a_parser_through():
    from payments.reconciliation.bills import sniff

    sniff("unionpay", b"anything")  # the service refuses the channel itself


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31), "today", "tomorrow"])
def test_check_bill_date_refuses_absurd_and_unfinished_days(day):
    from django.utils import timezone

    from payments.exceptions import InvalidPaymentInput
    from payments.reconciliation.bills import check_bill_date

    today = timezone.localdate()
    day = {"today": today, "tomorrow": today + timedelta(days=1)}.get(day, day)
    with pytest.raises(InvalidPaymentInput) as caught:
        check_bill_date(day)
    assert list(caught.value.fields) == ["bill_date"]
    check_bill_date(date(2000, 1, 1))
    check_bill_date(today - timedelta(days=1))
