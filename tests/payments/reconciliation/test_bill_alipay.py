"""Alipay's 业务明细 (GBK): golden file, the zip, round trip, every malformed case."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from payments.reconciliation.alipay_bill import AlipayBillReader, write_bill
from payments.reconciliation.bills import PAYMENT, REFUND, BillFormatError, BillRow, BillTotals
from payments.reconciliation.formats import bill_reader

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def golden() -> bytes:
    return (FIXTURES / "alipay_detail.csv").read_bytes()


def read(data: bytes) -> tuple[AlipayBillReader, list[BillRow]]:
    reader = AlipayBillReader(data=data)
    rows = list(reader.rows())
    reader.finish()
    return reader, rows


def error_of(data: bytes) -> BillFormatError:
    with pytest.raises(BillFormatError) as caught:
        read(data)
    return caught.value


def lines_of() -> list[str]:
    return golden().decode("gbk").split("\r\n")


def joined(lines: list[str]) -> bytes:
    return "\r\n".join(lines).encode("gbk")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


EXPECTED = [
    BillRow(6, PAYMENT, at("2026-11-27 10:00:05"), "PT00000000000021",
            "2026112722001400000000000001", "", "", D("88.00"), D("88.00"), D("0.53"), "交易"),
    BillRow(7, PAYMENT, at("2026-11-27 11:20:03"), "PT00000000000022",
            "2026112722001400000000000002", "", "", D("30.00"), D("25.00"), D("0.15"), "交易"),
    BillRow(8, REFUND, at("2026-11-27 15:00:01"), "PT00000000000021",
            "2026112722001400000000000001", "RF00000000000031", "", D("20.00"), D("20.00"),
            D("0.12"), "退款"),
    BillRow(9, REFUND, at("2026-11-27 09:30:00"), "PT00000000000029",
            "2026112622001400000000000009", "RF00000000000032", "", D("10.00"), D("10.00"),
            D("0.06"), "退款"),
]  # fmt: skip


def test_golden_file_parses_to_its_rows_totals_and_header():
    reader, rows = read(golden())

    assert rows == EXPECTED
    assert reader.totals.as_json() == {
        "payment_count": 2,
        "payment_amount": "118.00",
        "settle_amount": "113.00",
        "refund_count": 2,
        "refund_amount": "30.00",
        "fee_amount": "0.50",
    }
    assert reader.declared == reader.totals
    assert reader.header["account"] == "20880000000000000156"
    assert reader.header["period_start"] == "2026年11月27日 00:00:00"
    assert reader.header["period_end"] == "2026年11月28日 00:00:00"
    assert reader.header["exported_at"] == "2026年11月28日 09:15:23"
    assert reader.header["summary"] == {
        "交易合计": {"count": 2, "商家实收": "113.00", "商家优惠": "0.00"},
        "退款合计": {"count": 2, "商家实收": "-30.00", "商家优惠": "0.00"},
    }


def test_the_registry_reads_alipay_bills_with_this_reader():
    assert isinstance(bill_reader("alipay", golden()), AlipayBillReader)


def test_the_zip_as_downloaded_is_read_through_its_detail_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("20880000000000000156_20261127_业务明细(汇总).csv", b"#summary\r\n")
        archive.writestr("20880000000000000156_20261127_业务明细.csv", golden())
    assert read(buffer.getvalue())[1] == EXPECTED


def test_a_zip_naming_its_files_in_gbk_is_read_too():
    """Alipay's zip names its files in GBK without the UTF-8 flag."""
    names = {"20880000000000000156_20261127_XXXXXXXX.csv": golden()}
    names["20880000000000000156_20261127_XXXXXXXX(YYYY).csv"] = b"#summary\r\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in reversed(names.items()):
            archive.writestr(name, content)
    raw = buffer.getvalue().replace(b"XXXXXXXX", "业务明细".encode("gbk"))
    raw = raw.replace(b"YYYY", "汇总".encode("gbk"))
    assert not any(info.flag_bits & 0x800 for info in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    assert read(raw)[1] == EXPECTED


def test_a_zip_without_the_detail_file_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("20880000000000000156_20261127_业务明细(汇总).csv", b"#summary\r\n")
    error = error_of(buffer.getvalue())
    assert error.line == 0
    assert "业务明细" in error.message


def test_rows_written_by_write_bill_read_back_the_same():
    again, rows = read(write_bill(EXPECTED, bill_date=date(2026, 11, 27)))
    assert [row[1:] for row in rows] == [row[1:] for row in EXPECTED]
    assert again.declared == again.totals
    assert again.header["period_start"] == "2026年11月27日 00:00:00"
    assert again.header["account"] == "20880000000000000156"


def test_write_bill_of_no_rows_is_a_bill_of_no_rows():
    reader, rows = read(write_bill([], bill_date=date(2026, 11, 27)))
    assert rows == []
    assert reader.declared == BillTotals()


def test_a_file_with_lf_line_ends_reads_the_same():
    assert read(golden().replace(b"\r\n", b"\n"))[1] == EXPECTED


# --- malformed files: each names its line -------------------------------------------


def test_a_utf8_file_is_refused_at_its_first_chinese_line():
    error = error_of(golden().decode("gbk").encode("utf-8"))
    assert error.line == 1
    assert "GBK" in error.message


def test_a_wechat_bill_read_as_alipay_is_refused_at_line_1():
    assert error_of((FIXTURES / "wechat_all.csv").read_bytes()).line == 1


def test_bytes_that_are_not_gbk_name_their_line():
    data = golden().replace("保温杯".encode("gbk"), b"\x80\xff")
    assert error_of(data).line == 7


def test_a_header_lacking_a_column_is_refused_at_its_line_naming_it():
    lines = lines_of()
    lines[4] = lines[4].replace(",服务费（元）,", ",")
    error = error_of(joined(lines))
    assert error.line == 5
    assert "服务费（元）" in error.message


def test_a_file_of_comments_only_is_refused():
    assert error_of(joined(lines_of()[:4])).line == 4


def test_a_detail_line_with_a_field_missing_names_its_line():
    lines = lines_of()
    lines[6] = lines[6].replace(",双十一红包", "")
    error = error_of(joined(lines))
    assert error.line == 7
    assert "24" in error.message and "25" in error.message


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        (",30.00,25.00,", ",30.00,2S.00,", "商家实收（元）"),
        (",30.00,25.00,", ",30.000,25.00,", "订单金额（元）"),
        (",-0.15,", ",,", "服务费（元）"),
    ],
)
def test_a_bad_amount_names_its_line_and_column(old, new, column):
    lines = lines_of()
    lines[6] = lines[6].replace(old, new)
    error = error_of(joined(lines))
    assert error.line == 7
    assert column in error.message


def test_a_bad_time_names_its_line():
    lines = lines_of()
    lines[7] = lines[7].replace("2026-11-27 15:00:01", "2026-11-27 25:00:01")
    error = error_of(joined(lines))
    assert error.line == 8
    assert "完成时间" in error.message


def test_another_business_type_is_refused_naming_its_line():
    lines = lines_of()
    lines[5] = lines[5].replace(",交易\t,", ",冻结\t,")
    error = error_of(joined(lines))
    assert error.line == 6
    assert "冻结" in error.message


def test_a_refund_without_its_request_number_is_refused():
    lines = lines_of()
    lines[7] = lines[7].replace("RF00000000000031\t", "\t")
    assert error_of(joined(lines)).line == 8


def test_a_refund_with_a_positive_amount_is_refused():
    lines = lines_of()
    lines[7] = lines[7].replace(",-20.00,-20.00,", ",20.00,20.00,")
    assert error_of(joined(lines)).line == 8


def test_a_file_cut_before_its_footer_is_refused_at_finish():
    lines = lines_of()[:9]
    reader = AlipayBillReader(data=joined(lines))
    assert len(list(reader.rows())) == 4
    with pytest.raises(BillFormatError) as caught:
        reader.finish()
    assert caught.value.line == 9
    assert "truncated" in caught.value.message


def test_a_file_cut_after_the_trade_total_is_refused():
    error = error_of(joined(lines_of()[:11]))
    assert error.line == 11
    assert "退款合计" in error.message


def test_totals_that_do_not_add_up_are_refused_naming_the_totals_line():
    lines = lines_of()
    lines[11] = lines[11].replace("-30.00元", "-31.00元")
    error = error_of(joined(lines))
    assert error.line == 12
    assert "商家实收" in error.message


def test_a_count_that_does_not_add_up_is_refused():
    lines = lines_of()
    lines[10] = lines[10].replace("2笔", "3笔")
    assert error_of(joined(lines)).line == 11


def test_an_unreadable_totals_line_is_refused():
    lines = lines_of()
    lines[10] = "#交易合计：两笔"
    assert error_of(joined(lines)).line == 11


def test_a_detail_line_after_the_end_marker_is_refused():
    lines = lines_of()
    lines.insert(10, lines[5])
    assert error_of(joined(lines)).line == 11


def test_a_wrong_footer_written_by_write_bill_is_refused():
    wrong = BillTotals(payment_count=2, settle_amount=D("113.00"), refund_count=2,
                       refund_amount=D("29.99"))  # fmt: skip
    error = error_of(write_bill(EXPECTED, bill_date=date(2026, 11, 27), declared=wrong))
    assert error.line == 12


# --- the zip: bounded inflation, unreadable zips (review P2-4) ----------------------------

DETAIL_NAME = "20880000000000000156_20261127_业务明细.csv"


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _patch_both_headers(raw: bytes, offset_local: int, offset_central: int, value: bytes):
    """Write ``value`` at the same field of the first local and central headers."""
    out = bytearray(raw)
    local = out.find(b"PK\x03\x04")
    central = out.rfind(b"PK\x01\x02")
    out[local + offset_local : local + offset_local + len(value)] = value
    out[central + offset_central : central + offset_central + len(value)] = value
    return bytes(out)


def test_a_zip_bomb_is_refused_as_too_large_without_inflating_it():
    import tracemalloc

    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(DETAIL_NAME, "w") as member,
    ):
        chunk = b"0" * (1 << 20)
        for _ in range(64):
            member.write(chunk)
    bomb = buffer.getvalue()
    assert len(bomb) < 200_000  # 64 MB of zeros in a small upload
    tracemalloc.start()
    try:
        error = error_of(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.line == 0 and "too large" in error.message
    assert peak < 24 * 1024 * 1024  # stopped past the limit, not inflated whole


def test_the_inflated_size_is_bounded_by_the_readers_limit():
    """The limit applies to the bytes inflated (an honest zip over it is refused), and a
    zip declaring a small size for a large member is refused too (never read past its
    declaration, then its CRC fails)."""
    reader = AlipayBillReader(data=_zip({DETAIL_NAME: golden()}), max_unzipped=100)
    with pytest.raises(BillFormatError, match="too large") as caught:
        list(reader.rows())
    assert caught.value.line == 0
    raw = _zip({DETAIL_NAME: golden() + b"#" * 200_000})
    lying = _patch_both_headers(raw, 22, 24, (100).to_bytes(4, "little"))  # uncompressed size
    reader = AlipayBillReader(data=lying, max_unzipped=150_000)
    with pytest.raises(BillFormatError, match="not a readable zip") as caught:
        list(reader.rows())
    assert caught.value.line == 0


def test_a_zip_with_a_false_size_is_a_bill_error_not_a_crash():
    """The review's repro: the central directory says 10 bytes for 5000 (Bad CRC)."""
    raw = bytearray(_zip({DETAIL_NAME: b"A" * 5000}))
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")
    error = error_of(bytes(raw))
    assert error.line == 0 and "zip" in error.message


@pytest.mark.parametrize(
    "damage",
    ["encrypted", "unknown_method", "broken_stream", "bad_crc", "cut"],
)
def test_an_unreadable_zip_is_refused_at_line_0(damage):
    raw = _zip({DETAIL_NAME: golden()})
    if damage == "encrypted":
        raw = _patch_both_headers(raw, 6, 8, b"\x01\x08")  # encrypted (+ UTF-8 names)
    elif damage == "unknown_method":
        raw = _patch_both_headers(raw, 8, 10, b"\x63\x00")  # method 99
    elif damage == "broken_stream":
        local = raw.find(b"PK\x03\x04")
        name_len = int.from_bytes(raw[local + 26 : local + 28], "little")
        start = local + 30 + name_len
        raw = raw[:start] + b"\xff" * 40 + raw[start + 40 :]
    elif damage == "bad_crc":
        raw = _patch_both_headers(raw, 14, 16, b"\x00\x00\x00\x00")
    else:
        raw = raw[: len(raw) // 2]
    error = error_of(raw)
    assert error.line == 0
    assert "zip" in error.message


def test_a_zip_of_too_many_files_is_refused():
    members = {f"{index}.csv": b"x" for index in range(40)}
    members[DETAIL_NAME] = golden()
    error = error_of(_zip(members))
    assert error.line == 0 and "41" in error.message


# --- field bounds (review P3 "bad field values") ------------------------------------------


def _with_field(line_index: int, column: int, value: str) -> bytes:
    lines = lines_of()
    fields = lines[line_index].split(",")
    fields[column] = value
    lines[line_index] = ",".join(fields)
    return joined(lines)


@pytest.mark.parametrize(
    ("line_index", "column", "value", "named"),
    [
        (5, 1, "P" * 65, "商户订单号"),
        (5, 0, "2026112722" + "9" * 60, "支付宝交易号"),
        (5, 1, "PT0000\x0000001", "商户订单号"),
        (5, 0, "20261127\x07", "支付宝交易号"),
        (7, 21, "RF" + "1" * 70, "退款批次号/请求号"),
        (7, 21, "RF0000\x1b1", "退款批次号/请求号"),
    ],
)
def test_over_long_or_control_character_numbers_are_refused_naming_the_line(
    line_index, column, value, named
):
    error = error_of(_with_field(line_index, column, value))
    assert error.line == line_index + 1
    assert named in error.message


def test_a_number_of_exactly_64_characters_is_read():
    _reader, rows = read(_with_field(5, 1, "P" * 64))
    assert rows[0].transaction_no == "P" * 64


@pytest.mark.parametrize("amount", ["10000000000.00", "99999999999999999999", "-10000000000"])
def test_an_absurd_amount_is_refused_naming_the_line(amount):
    error = error_of(_with_field(5, 11, amount))
    assert error.line == 6
    assert "订单金额" in error.message


# --- the submit check -----------------------------------------------------------------


def test_sniff_passes_the_bill_and_its_zip():
    from payments.reconciliation.bills import sniff

    sniff("alipay", golden())
    sniff("alipay", _zip({DETAIL_NAME: golden()})[:100])  # the zip: by its magic number


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"x",
        (FIXTURES / "wechat_all.csv").read_bytes(),
        "#支付宝业务明细查询\r\n".encode(),  # UTF-8, not GBK
        "#支付宝业务明细查询\r\n交易号,金额\r\n".encode("gbk"),
    ],
)
def test_sniff_refuses_what_is_not_an_alipay_bill(data):
    from payments.reconciliation.bills import sniff

    with pytest.raises(BillFormatError) as caught:
        sniff("alipay", data)
    assert caught.value.code == "bill_malformed" and caught.value.line >= 1
