"""Alipay's 业务明细 (the trade bill's detail file): reader and writer.

Layout (GBK; Alipay serves it inside a zip beside a 汇总 file — the reader takes the
zip as downloaded too and opens its ``…业务明细.csv``):

* ``#`` lines first: ``#支付宝业务明细查询``, ``#账号：[2088…]``,
  ``#起始日期：[2026年11月27日 00:00:00]   终止日期：[2026年11月28日 00:00:00]``,
  ``#----…业务明细列表…----``;
* the column header (支付宝交易号 … 备注, 25 columns);
* detail lines, plain comma-separated; IDs carry trailing tabs (stripped, like every
  field's surrounding white space);
* ``#`` footer lines: ``#----…业务明细列表结束…``, ``#交易合计：N笔，商家实收：X元，商家优惠：Y元``,
  ``#退款合计：N笔，商家实收：-X元，商家优惠：Y元``, ``#导出时间：[…]``.

Decisions (docs/RECONCILIATION.md, "Bill formats"):

* 业务类型 ``交易`` is a payment: amount = 订单金额（元）, settle_amount = 商家实收（元）,
  fee_amount = |服务费（元）| (Alipay writes the fee charged on a payment negative).
* ``退款`` is a refund: its amounts are written negative; amount = |订单金额（元）|,
  settle_amount = |商家实收（元）|, fee_amount = |服务费（元）| (the fee returned, written
  positive). refund_no = 退款批次号/请求号 (required), transaction_no = 商户订单号,
  channel_trade_no = 支付宝交易号; Alipay has no refund number of its own.
* Any other 业务类型 is refused with ``BillFormatError`` naming the line (skipping it
  could hide money). A payment with a negative 订单金额 or a refund with a positive one
  is refused too.
* occurred_at = 完成时间 (创建时间 when 完成时间 is empty), Beijing time.
* The footer states counts, 商家实收 and 商家优惠 per kind; ``finish()`` checks each
  against the lines. ``declared`` restates it: ``payment_count``, ``settle_amount``
  (交易 商家实收), ``refund_count``, ``refund_amount`` (−退款 商家实收); the footer
  states neither the order amounts nor the fees, so ``payment_amount`` and
  ``fee_amount`` are the lines' sums. The raw figures are in ``header["summary"]``.
* ``header``: ``account`` (#账号), ``period_start``, ``period_end`` (as written),
  ``exported_at``.
* Encoding: every line is decoded as GB18030 (GBK's superset); a file whose first
  non-ASCII line is valid UTF-8 is refused at that line (a UTF-8 export is not
  Alipay's file, and reading it as GBK would garble it silently).
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain

from django.utils.translation import gettext as _

from .bills import (
    MAX_NUMBER_LENGTH,
    PAYMENT,
    REFUND,
    ZERO,
    BillFormatError,
    BillReader,
    BillRow,
    BillTotals,
    check_fields,
)
from .wechat_bill import SHANGHAI, _column_map, _money, _Times

ENCODING = "gb18030"
MAX_UNZIPPED_BYTES = 1 << 30  # = payments.reconciliation_max_bill_mb's default
MAX_RATIO = 100  # a bill's CSV deflates about 5–15 times; a zip bomb thousands
MIN_RATIO_LIMIT = 1 << 20  # the ratio does not bind below this
MAX_MEMBERS = 16
CHUNK_BYTES = 1 << 20
# what reading a corrupt / encrypted / unsupported zip raises
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    RuntimeError,
    NotImplementedError,
    EOFError,
    ValueError,
    OSError,
    struct.error,
)

COLUMNS = (
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
)
TRADE = "交易"
REFUND_TYPE = "退款"
_TOTAL = re.compile(
    r"^#(交易|退款)合计[：:]\s*(\d+)\s*笔\s*[，,]\s*商家实收[：:]\s*(-?[0-9.]+)\s*元"
    r"(?:\s*[，,]\s*商家优惠[：:]\s*(-?[0-9.]+)\s*元)?"
)
_BRACKETED = re.compile(r"\[([^\]]*)\]")


def _unzip(data: bytes, limit: int = MAX_UNZIPPED_BYTES) -> bytes:
    """The 业务明细 file inside Alipay's zip (not its 汇总 file).

    The member is inflated in chunks and the bytes actually produced are counted (the
    sizes the zip declares are not trusted): past ``limit``, or past ``MAX_RATIO`` times
    the zip's own size, it is refused as too large. A zip of more than ``MAX_MEMBERS``
    files, or one that cannot be read (corrupt, encrypted, an unknown method, a wrong
    CRC), is refused with ``BillFormatError`` — never an unexpected exception.
    """
    limit = min(limit, max(len(data) * MAX_RATIO, MIN_RATIO_LIMIT))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        with archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise BillFormatError(
                    _("the zip holds %(count)s files; Alipay's holds two") % {"count": len(members)}
                )
            for info in members:
                name = info.filename
                if not info.flag_bits & 0x800:  # names without the UTF-8 flag are GBK
                    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                        name = name.encode("cp437").decode(ENCODING)
                if name.endswith("业务明细.csv") and "汇总" not in name:
                    return _inflate(archive, info, limit)
    except _ZIP_ERRORS:
        raise BillFormatError(_("not a readable zip file")) from None
    raise BillFormatError(_("the zip holds no 业务明细 file"))


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise BillFormatError(_("the bill inside the zip is too large"))
    out = io.BytesIO()
    size = 0
    with archive.open(info) as member:
        while chunk := member.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise BillFormatError(_("the bill inside the zip is too large"))
            out.write(chunk)
    return out.getvalue()


def _lines(data: bytes) -> Iterator[tuple[int, str]]:
    utf8_checked = False
    for number, raw in enumerate(io.BytesIO(data), 1):
        if not utf8_checked and not raw.isascii():
            utf8_checked = True
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise BillFormatError(
                    _("the text is UTF-8; Alipay's bill is GBK (a file saved again?)"),
                    line=number,
                )
        try:
            text = raw.decode(ENCODING)
        except UnicodeDecodeError:
            raise BillFormatError(
                _("the text is not %(encoding)s (a file in another encoding?)")
                % {"encoding": "GBK"},
                line=number,
            ) from None
        yield number, text.rstrip("\r\n")


@dataclass
class AlipayBillReader(BillReader):
    """Read an Alipay 业务明细 file (or the zip it comes in); see the module docstring.

    ``max_unzipped``: the most bytes the zip's detail file may inflate to (the caller
    may pass ``payments.reconciliation_max_bill_mb``)."""

    max_unzipped: int = MAX_UNZIPPED_BYTES

    def rows(self) -> Iterator[BillRow]:
        data = self.data
        if data[:4] == b"PK\x03\x04":
            data = _unzip(data, self.max_unzipped)
        lines = _lines(data)
        self._last_line = 0
        self._footer: dict[str, tuple[int, int, object, object]] = {}
        header_line = 0
        where: dict[str, int] = {}
        for number, text in lines:
            self._last_line = number
            if text.startswith("#"):
                self._preamble(text)
                continue
            if not text.strip():
                continue
            where = _column_map(text.split(","), COLUMNS, number)
            header_line = number
            width = len(text.split(","))
            break
        if not header_line:
            raise BillFormatError(
                _("the header lacks the column %(column)s") % {"column": COLUMNS[0]},
                line=max(self._last_line, 1),
            )
        i_trade = where["支付宝交易号"]
        i_out_trade = where["商户订单号"]
        i_type = where["业务类型"]
        i_created = where["创建时间"]
        i_done = where["完成时间"]
        i_order = where["订单金额（元）"]
        i_settle = where["商家实收（元）"]
        i_discount = where["商家优惠（元）"]
        i_refund_no = where["退款批次号/请求号"]
        i_fee = where["服务费（元）"]
        times = _Times("完成时间").get_time
        add = self.totals.add
        sums = {TRADE: [0, ZERO, ZERO], REFUND_TYPE: [0, ZERO, ZERO]}  # count, 实收, 优惠
        for number, text in lines:
            self._last_line = number
            if text.startswith("#"):
                self._read_footer(number, text, lines)
                break
            if not text.strip():
                continue
            fields = text.split(",")
            if len(fields) != width:
                raise BillFormatError(
                    _("the line has %(found)s fields, the header %(expected)s")
                    % {"found": len(fields), "expected": width},
                    line=number,
                )
            kind_text = fields[i_type].strip()
            order = _money(fields[i_order].strip(), number, "订单金额（元）")
            settle = _money(fields[i_settle].strip(), number, "商家实收（元）")
            discount = _money(fields[i_discount].strip(), number, "商家优惠（元）")
            fee = abs(_money(fields[i_fee].strip(), number, "服务费（元）"))
            transaction_no = fields[i_out_trade].strip()
            if not transaction_no:
                raise BillFormatError(_("商户订单号 is empty"), line=number)
            trade_no = fields[i_trade].strip()
            if (
                len(transaction_no) > MAX_NUMBER_LENGTH
                or len(trade_no) > MAX_NUMBER_LENGTH
                or not (transaction_no + trade_no).isprintable()
            ):
                check_fields(
                    number,
                    (("商户订单号", transaction_no), ("支付宝交易号", trade_no)),
                    MAX_NUMBER_LENGTH,
                )
            done = fields[i_done].strip() or fields[i_created].strip()
            occurred_at = times(done, number)
            if kind_text == TRADE:
                if order < 0 or settle < 0:
                    raise BillFormatError(
                        _("a payment line carries a negative amount"), line=number
                    )
                row = BillRow(
                    number,
                    PAYMENT,
                    occurred_at,
                    transaction_no,
                    trade_no,
                    "",
                    "",
                    order,
                    settle,
                    fee,
                    kind_text,
                )
            elif kind_text == REFUND_TYPE:
                refund_no = fields[i_refund_no].strip()
                if not refund_no:
                    raise BillFormatError(_("a refund line without 退款批次号/请求号"), line=number)
                if len(refund_no) > MAX_NUMBER_LENGTH or not refund_no.isprintable():
                    check_fields(number, (("退款批次号/请求号", refund_no),), MAX_NUMBER_LENGTH)
                if order >= 0 or settle > 0:
                    raise BillFormatError(
                        _("a refund line needs a negative 订单金额（元）"), line=number
                    )
                row = BillRow(
                    number,
                    REFUND,
                    occurred_at,
                    transaction_no,
                    trade_no,
                    refund_no,
                    "",
                    ZERO - order,
                    ZERO - settle,
                    fee,
                    kind_text,
                )
            else:
                raise BillFormatError(
                    _("业务类型 %(kind)s is neither a payment (交易) nor a refund (退款)")
                    % {"kind": kind_text[:20]},
                    line=number,
                )
            total = sums[kind_text]
            total[0] += 1
            total[1] += settle
            total[2] += discount
            add(row)
            yield row
        self._sums = sums

    def _preamble(self, text: str) -> None:
        values = _BRACKETED.findall(text)
        if text.startswith("#账号") and values:
            self.header["account"] = values[0]
        elif text.startswith("#起始日期") and len(values) == 2:
            self.header["period_start"], self.header["period_end"] = values

    def _read_footer(self, number: int, text: str, lines: Iterator[tuple[int, str]]) -> None:
        self._footer_start = number
        for line_no, line in chain([(number, text)], lines):
            self._last_line = line_no
            if not line.strip():
                continue
            if not line.startswith("#"):
                raise BillFormatError(_("a detail line after the end of the list"), line=line_no)
            match = _TOTAL.match(line)
            if match:
                kind, count, settle, discount = match.groups()
                self._footer[kind] = (
                    line_no,
                    int(count),
                    _money(settle, line_no, "商家实收", bounded=False),
                    _money(discount or "0.00", line_no, "商家优惠", bounded=False),
                )
            elif line.startswith(("#交易合计", "#退款合计")):
                raise BillFormatError(
                    _("the totals line cannot be read (#交易合计：N笔，商家实收：X元，…)"),
                    line=line_no,
                )
            elif line.startswith("#导出时间"):
                values = _BRACKETED.findall(line)
                self.header["exported_at"] = values[0] if values else ""

    def finish(self) -> None:
        """Check both totals lines were read and state the lines' counts and amounts."""
        footer = getattr(self, "_footer", {})
        for kind in (TRADE, REFUND_TYPE):
            if kind not in footer:
                raise BillFormatError(
                    _("the file ends without its #%(kind)s合计 line: truncated?") % {"kind": kind},
                    line=max(getattr(self, "_last_line", 0), 1),
                )
        for kind in (TRADE, REFUND_TYPE):
            line, count, settle, discount = footer[kind]
            found_count, found_settle, found_discount = self._sums[kind]
            for name, declared, found in (
                ("笔数", count, found_count),
                ("商家实收", settle, found_settle),
                ("商家优惠", discount, found_discount),
            ):
                if declared != found:
                    raise BillFormatError(
                        _("%(kind)s合计 %(column)s is %(declared)s, the lines add up to %(found)s")
                        % {"kind": kind, "column": name, "declared": declared, "found": found},
                        line=line,
                    )
        self.declared = BillTotals(
            payment_count=footer[TRADE][1],
            payment_amount=self.totals.payment_amount,
            settle_amount=footer[TRADE][2],
            refund_count=footer[REFUND_TYPE][1],
            refund_amount=ZERO - footer[REFUND_TYPE][2],
            fee_amount=self.totals.fee_amount,
        )
        self.header["summary"] = {
            f"{kind}合计": {"count": count, "商家实收": str(settle), "商家优惠": str(discount)}
            for kind, (_line, count, settle, discount) in footer.items()
        }


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def write_bill(
    rows: Iterable[BillRow],
    *,
    merchant: str = "20880000000000000156",
    bill_date: date | None = None,
    declared: BillTotals | None = None,
    exported_at: str = "",
) -> bytes:
    """Write ``rows`` as an Alipay 业务明细 file (GBK, CRLF), IDs with trailing tabs.

    Refund lines carry 订单金额 and 商家实收 negative and 服务费 positive; payments
    服务费 negative. The footer is computed from the rows unless ``declared`` is given
    (``settle_amount`` → 交易 商家实收, ``refund_amount`` → −退款 商家实收). ``bill_date``
    (default: the first row's day) names the period; ``exported_at`` the export time.
    """
    body: list[str] = []
    append = body.append
    counts = {PAYMENT: 0, REFUND: 0}
    settled = {PAYMENT: ZERO, REFUND: ZERO}
    first_day = None
    for row in rows:
        local = row.occurred_at.astimezone(SHANGHAI)
        if first_day is None:
            first_day = local.date()
        when = local.isoformat(" ", "seconds")[:19]
        if row.kind == PAYMENT:
            kind, order, settle, fee, batch = TRADE, row.amount, row.settle_amount, "", ""
            fee = ZERO - row.fee_amount
        else:
            kind, order, settle = REFUND_TYPE, ZERO - row.amount, ZERO - row.settle_amount
            fee, batch = row.fee_amount, f"{row.refund_no}\t"
        append(
            f"{row.channel_trade_no}\t,{row.transaction_no}\t,{kind}\t,商城订单,{when},{when},"
            f"\t,\t,\t,\t,138****0000\t,{order},{settle},0.00,0.00,0.00,0.00,0.00,,0.00\t,"
            f"0.00,{batch},{fee},0.00,"
        )
        counts[row.kind] += 1
        settled[row.kind] += settle
    day = bill_date or first_day or date(2026, 1, 1)
    next_day = day + timedelta(days=1)
    if declared is not None:
        counts = {PAYMENT: declared.payment_count, REFUND: declared.refund_count}
        settled = {PAYMENT: declared.settle_amount, REFUND: ZERO - declared.refund_amount}
    dashes = "-" * 41
    out = [
        "#支付宝业务明细查询",
        f"#账号：[{merchant}]",
        f"#起始日期：[{_chinese_date(day)} 00:00:00]   "
        f"终止日期：[{_chinese_date(next_day)} 00:00:00]",
        f"#{dashes}业务明细列表{dashes}",
        ",".join(COLUMNS),
        *body,
        f"#{dashes}业务明细列表结束{dashes}",
        f"#交易合计：{counts[PAYMENT]}笔，商家实收：{settled[PAYMENT]}元，商家优惠：0.00元",
        f"#退款合计：{counts[REFUND]}笔，商家实收：{settled[REFUND]}元，商家优惠：0.00元",
        f"#导出时间：[{exported_at or _chinese_date(next_day) + ' 09:00:00'}]",
        "",
    ]
    return "\r\n".join(out).encode(ENCODING)
