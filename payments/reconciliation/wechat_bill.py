"""WeChat Pay's trade bill (交易账单, ``bill_type=ALL``): reader and writer.

Layout (UTF-8, an optional BOM; lines end in LF or CRLF):

* line 1, the header of the 27 columns (交易时间 … 费率备注, not backtick-prefixed);
* the detail lines: every field prefixed with a backtick (```2026-11-27 10:01:02,`wx…``);
* the summary header (总交易单数, 应结订单总金额, 退款总金额, 充值券退款总金额, 手续费总金额,
  订单总金额, 申请退款总金额) and one summary line of backtick-prefixed values.

Decisions (docs/RECONCILIATION.md, "Bill formats"):

* 交易状态 ``SUCCESS`` is a payment: amount = 订单金额, settle_amount = 应结订单金额,
  fee_amount = 手续费. ``REFUND`` is a refund: amount = 退款金额 (what was actually
  refunded, not 申请退款金额), fee_amount = |手续费| (written negative: the fee
  returned); its 订单金额 / 应结订单金额 are not read as money of the refund. A refund
  line whose 退款状态 is not ``SUCCESS`` (``PROCESSING``, ``CHANGE`` …) is still a row,
  its ``channel_status`` written ``REFUND/PROCESSING`` so the matcher can tell.
* Any other 交易状态 (``REVOKED`` — a card-code payment cancelled —, ``CLOSED`` …) is
  refused with ``BillFormatError`` naming the line: the mall takes no card-code
  (MICROPAY) payments, so such a line means the bill is not the one we expect, and
  skipping it could hide money.
* 总交易单数 counts every detail line (payments and refunds): WeChat's summary is the
  count and the column sums of the detail lines, so ``finish()`` checks each summary
  figure against the sum of its own column over all detail lines (whatever a refund
  line carries in 订单金额), to the cent and beyond.
* 手续费 may carry up to five decimals (WeChat writes ``0.06000``); a row's fee is
  rounded half-up to the cent, the summary is checked at full precision against the
  unrounded column (so with sub-cent fees ``declared.fee_amount``, the summary rounded,
  may differ from ``totals.fee_amount``, the sum of rounded row fees).
* Performance: the file is decoded line by line (a decoding error names its line),
  split on ``,``` (no regex, no csv module), amounts checked by string tests before
  ``Decimal``, times cached by their text. Measured: 1,000,000 lines in 3.3 s of CPU
  (5–7 s wall on a loaded 2-core machine); ``write_bill`` 2.6–3.1 s CPU.
* ``declared`` (after ``finish()``) is the summary restated in ``BillTotals`` terms:
  ``payment_count`` = 总交易单数 − refund lines, ``payment_amount`` = 订单总金额 −
  订单金额 on refund lines, ``settle_amount`` likewise from 应结订单总金额,
  ``refund_amount`` = 退款总金额, ``fee_amount`` = 手续费总金额 (net); the raw figures
  are in ``header["summary"]``.
* ``header``: ``mchid`` (商户号) and ``appid`` (公众账号ID) when one value runs through
  every line (``""`` when they vary), ``rows`` (detail lines), ``summary``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .bills import (
    MAX_NUMBER_LENGTH,
    MAX_STATUS_LENGTH,
    PAYMENT,
    REFUND,
    ZERO,
    BillFormatError,
    BillReader,
    BillRow,
    BillTotals,
    check_amount,
    check_fields,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")

COLUMNS = (
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
)
SUMMARY_COLUMNS = (
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
)
# The detail columns each summary amount sums (after 总交易单数).
SUMMED = ("应结订单金额", "退款金额", "充值券退款金额", "手续费", "订单金额", "申请退款金额")
_DIGITS = "0123456789"
_NUMBER_CHARS = "0123456789.-"


def _money(text: str, line: int, column: str, places: int = 2, *, bounded: bool = True) -> Decimal:
    """``text`` as a Decimal (digits, one point, a leading minus, at most ``places``
    decimals, below 10^10 unless not ``bounded``: summary totals), or
    ``BillFormatError`` naming the column."""
    if text and text.isascii() and not text.strip(_NUMBER_CHARS):
        dot = text.find(".")
        if dot == -1 or len(text) - dot - 1 <= places:
            try:
                value = Decimal(text)
            except InvalidOperation:
                pass
            else:
                return check_amount(value, line, column) if bounded else value
    raise BillFormatError(
        _("%(column)s is not an amount: %(value)s") % {"column": column, "value": text[:40]},
        line=line,
    )


def _when(text: str, line: int, column: str) -> datetime:
    """A ``YYYY-MM-DD hh:mm:ss`` Beijing time, aware."""
    if len(text) == 19 and text[10] == " " and text.isascii():
        try:
            return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
        except ValueError:
            pass
    raise BillFormatError(
        _("%(column)s is not a time (YYYY-MM-DD hh:mm:ss): %(value)s")
        % {"column": column, "value": text[:40]},
        line=line,
    )


class _Times(dict):
    """Parsed times by their text: a bill has many lines per second, parse each once."""

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def get_time(self, text: str, line: int) -> datetime:
        when = self.get(text)
        if when is None:
            if len(self) > 100_000:
                self.clear()
            when = self[text] = _when(text, line, self.column)
        return when


def _lines(data: bytes, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each line, decoded one by one so a decoding error names
    its line; line ends (LF / CRLF) removed, a UTF-8 BOM on line 1 dropped."""
    for number, raw in enumerate(io.BytesIO(data), 1):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise BillFormatError(
                _("the text is not %(encoding)s (a file in another encoding?)")
                % {"encoding": encoding.upper()},
                line=number,
            ) from None
        if number == 1 and text[:1] == "\ufeff":
            text = text[1:]
        yield number, text.rstrip("\r\n")


def _column_map(fields: list[str], wanted: tuple[str, ...], line: int) -> dict[str, int]:
    where = {name.strip(): index for index, name in enumerate(fields)}
    for name in wanted:
        if name not in where:
            raise BillFormatError(
                _("the header lacks the column %(column)s") % {"column": name}, line=line
            )
    return where


@dataclass
class WechatBillReader(BillReader):
    """Read a WeChat Pay trade bill (type ALL); see the module docstring."""

    def rows(self) -> Iterator[BillRow]:
        lines = _lines(self.data)
        self._last_line = 0
        self._summary_line = 0
        self._detail_count = 0
        self._refund_order_amount = ZERO
        self._refund_settle_amount = ZERO
        sums = dict.fromkeys(SUMMED, ZERO)
        self._sums = sums
        header = None
        for number, text in lines:
            self._last_line = number
            if text.strip():
                header = text
                break
        if header is None:
            raise BillFormatError(_("the file is empty"), line=max(self._last_line, 1))
        header_line = self._last_line
        header_fields = header.split(",")
        if header_fields[0].strip() == SUMMARY_COLUMNS[0] or header.startswith("`"):
            raise BillFormatError(
                _("the header lacks the column %(column)s") % {"column": COLUMNS[0]},
                line=header_line,
            )
        where = _column_map(header_fields, COLUMNS, header_line)
        width = len(header_fields)
        i_time = where["交易时间"]
        i_appid = where["公众账号ID"]
        i_mchid = where["商户号"]
        i_trade = where["微信订单号"]
        i_out_trade = where["商户订单号"]
        i_status = where["交易状态"]
        i_settle = where["应结订单金额"]
        i_channel_refund = where["微信退款单号"]
        i_out_refund = where["商户退款单号"]
        i_refund = where["退款金额"]
        i_coupon_refund = where["充值券退款金额"]
        i_refund_status = where["退款状态"]
        i_fee = where["手续费"]
        i_order = where["订单金额"]
        i_refund_asked = where["申请退款金额"]
        appids: set[str] = set()
        mchids: set[str] = set()
        s_settle = s_refund = s_coupon = s_fee = s_order = s_asked = ZERO
        r_order = r_settle = ZERO
        count = 0
        add = self.totals.add
        times = _Times("交易时间").get_time
        summary_start = SUMMARY_COLUMNS[0]
        for number, text in lines:
            self._last_line = number
            if text[:1] != "`":
                if not text.strip():
                    continue
                if text.startswith(summary_start):
                    self._read_summary(number, text, lines)
                    break
                raise BillFormatError(
                    _("a detail line must start with a backtick (`)"), line=number
                )
            fields = text[1:].split(",`")
            if len(fields) != width:
                raise BillFormatError(
                    _("the line has %(found)s fields, the header %(expected)s")
                    % {"found": len(fields), "expected": width},
                    line=number,
                )
            status = fields[i_status]
            ts = fields[i_settle]
            tr = fields[i_refund]
            tc = fields[i_coupon_refund]
            tf = fields[i_fee]
            if tf[-6:-5] == "." and tf[-3:] == "000":  # WeChat's 0.06000: whole cents
                tf = tf[:-3]
            to = fields[i_order]
            ta = fields[i_refund_asked]
            joined = ts + tr + tc + tf + to + ta
            if (
                joined.isascii()
                and not joined.strip(_NUMBER_CHARS)
                and ts[-3:-2] == tr[-3:-2] == tc[-3:-2] == to[-3:-2] == ta[-3:-2] == "."
                and (tf[-3:-2] == "." or tf[-6:-5] == ".")
                and len(ts) < 14  # below 10^10 for sure (else the slow path checks)
                and len(tr) < 14
                and len(tc) < 14
                and len(tf) < 14
                and len(to) < 14
                and len(ta) < 14
            ):
                try:
                    settle = Decimal(ts)
                    refunded = Decimal(tr)
                    coupon = Decimal(tc)
                    fee = Decimal(tf)
                    order = Decimal(to)
                    asked = Decimal(ta)
                except InvalidOperation:
                    settle = None
            else:
                settle = None
            if settle is None:  # the slow path names the column at fault
                settle = _money(ts, number, "应结订单金额")
                refunded = _money(tr, number, "退款金额")
                coupon = _money(tc, number, "充值券退款金额")
                fee = _money(tf, number, "手续费", 5)
                order = _money(to, number, "订单金额")
                asked = _money(ta, number, "申请退款金额")
            s_settle += settle
            s_refund += refunded
            s_coupon += coupon
            s_fee += fee
            s_order += order
            s_asked += asked
            count += 1
            fee_cents = fee if tf[-3:-2] == "." else fee.quantize(CENT, ROUND_HALF_UP)
            transaction_no = fields[i_out_trade]
            if not transaction_no:
                raise BillFormatError(_("商户订单号 is empty"), line=number)
            trade_no = fields[i_trade]
            if (
                len(transaction_no) > MAX_NUMBER_LENGTH
                or len(trade_no) > MAX_NUMBER_LENGTH
                or not (transaction_no + trade_no).isprintable()
            ):
                check_fields(
                    number,
                    (("商户订单号", transaction_no), ("微信订单号", trade_no)),
                    MAX_NUMBER_LENGTH,
                )
            appids.add(fields[i_appid])
            mchids.add(fields[i_mchid])
            if status == "SUCCESS":
                if order < 0 or settle < 0 or fee < 0:
                    raise BillFormatError(
                        _("a payment line carries a negative amount"), line=number
                    )
                row = BillRow(
                    number,
                    PAYMENT,
                    times(fields[i_time], number),
                    transaction_no,
                    trade_no,
                    "",
                    "",
                    order,
                    settle,
                    fee_cents,
                    status,
                )
            elif status == "REFUND":
                refund_no = fields[i_out_refund]
                if not refund_no or refund_no == "0":
                    raise BillFormatError(_("a refund line without 商户退款单号"), line=number)
                if refunded <= 0 or fee > 0:
                    raise BillFormatError(
                        _("a refund line needs 退款金额 above zero and 手续费 zero or negative"),
                        line=number,
                    )
                channel_refund_no = fields[i_channel_refund]
                if (
                    len(refund_no) > MAX_NUMBER_LENGTH
                    or len(channel_refund_no) > MAX_NUMBER_LENGTH
                    or not (refund_no + channel_refund_no).isprintable()
                ):
                    check_fields(
                        number,
                        (("商户退款单号", refund_no), ("微信退款单号", channel_refund_no)),
                        MAX_NUMBER_LENGTH,
                    )
                r_order += order
                r_settle += settle
                refund_status = fields[i_refund_status]
                channel_status = (
                    status if refund_status in ("SUCCESS", "") else f"{status}/{refund_status}"
                )
                if len(channel_status) > MAX_STATUS_LENGTH or not channel_status.isprintable():
                    check_fields(
                        number,
                        (("退款状态", refund_status),),
                        MAX_STATUS_LENGTH - len(status) - 1,
                    )
                row = BillRow(
                    number,
                    REFUND,
                    times(fields[i_time], number),
                    transaction_no,
                    trade_no,
                    refund_no,
                    channel_refund_no,
                    refunded,
                    refunded,
                    ZERO - fee_cents,
                    channel_status,
                )
            else:
                raise BillFormatError(
                    _(
                        "交易状态 %(status)s is neither a payment (SUCCESS) nor a refund "
                        "(REFUND); the mall takes no payments that can be revoked"
                    )
                    % {"status": status[:20]},
                    line=number,
                )
            add(row)
            yield row
        self._detail_count = count
        sums.update(
            {
                "应结订单金额": s_settle,
                "退款金额": s_refund,
                "充值券退款金额": s_coupon,
                "手续费": s_fee,
                "订单金额": s_order,
                "申请退款金额": s_asked,
            }
        )
        self._refund_order_amount = r_order
        self._refund_settle_amount = r_settle
        self.header["appid"] = appids.pop() if len(appids) == 1 else ""
        self.header["mchid"] = mchids.pop() if len(mchids) == 1 else ""
        self.header["rows"] = count

    def _read_summary(self, number: int, text: str, lines: Iterator[tuple[int, str]]) -> None:
        _column_map(text.split(","), SUMMARY_COLUMNS, number)
        values = None
        for value_line, value_text in lines:
            self._last_line = value_line
            if not value_text.strip():
                continue
            if values is not None:
                raise BillFormatError(_("unexpected text after the summary line"), line=value_line)
            values = (value_line, value_text)
        if values is None:
            raise BillFormatError(
                _("the summary header is not followed by the summary line"), line=number
            )
        value_line, value_text = values
        if value_text[:1] != "`":
            raise BillFormatError(
                _("a summary line must start with a backtick (`)"), line=value_line
            )
        fields = value_text[1:].split(",`")
        if len(fields) != len(SUMMARY_COLUMNS):
            raise BillFormatError(
                _("the line has %(found)s fields, the header %(expected)s")
                % {"found": len(fields), "expected": len(SUMMARY_COLUMNS)},
                line=value_line,
            )
        count_text = fields[0].strip()
        if not count_text.isdigit() or not count_text.isascii():
            raise BillFormatError(
                _("%(column)s is not a number: %(value)s")
                % {"column": SUMMARY_COLUMNS[0], "value": count_text[:40]},
                line=value_line,
            )
        summary = {SUMMARY_COLUMNS[0]: int(count_text)}
        for name, value in zip(SUMMARY_COLUMNS[1:], fields[1:], strict=True):
            summary[name] = _money(value.strip(), value_line, name, 5, bounded=False)
        self._summary = summary
        self._summary_line = value_line

    def finish(self) -> None:
        """Check the summary was read and states exactly the detail lines' count and sums."""
        if not getattr(self, "_summary_line", 0):
            raise BillFormatError(
                _("the file ends without its summary lines (总交易单数 …): truncated?"),
                line=max(getattr(self, "_last_line", 0), 1),
            )
        summary = self._summary
        line = self._summary_line
        if summary[SUMMARY_COLUMNS[0]] != self._detail_count:
            raise BillFormatError(
                _("the summary states %(declared)s lines, the file has %(found)s")
                % {"declared": summary[SUMMARY_COLUMNS[0]], "found": self._detail_count},
                line=line,
            )
        for name, column in zip(SUMMARY_COLUMNS[1:], SUMMED, strict=True):
            if summary[name] != self._sums[column]:
                raise BillFormatError(
                    _("%(column)s is %(declared)s, the lines add up to %(found)s")
                    % {"column": name, "declared": summary[name], "found": self._sums[column]},
                    line=line,
                )
        refunds = self.totals.refund_count
        self.declared = BillTotals(
            payment_count=summary["总交易单数"] - refunds,
            payment_amount=summary["订单总金额"] - self._refund_order_amount,
            settle_amount=summary["应结订单总金额"] - self._refund_settle_amount,
            refund_count=refunds,
            refund_amount=summary["退款总金额"],
            fee_amount=summary["手续费总金额"].quantize(CENT, ROUND_HALF_UP),
        )
        self.header["summary"] = {name: str(value) for name, value in summary.items()}


def _plain(value: str) -> str:
    """A field value as WeChat writes it: no commas or line breaks inside."""
    return value.replace(",", " ").replace("\r", " ").replace("\n", " ")


def write_bill(
    rows: Iterable[BillRow],
    *,
    declared: BillTotals | None = None,
    mchid: str = "1900000001",
    appid: str = "wx0000000000000000",
) -> bytes:
    """Write ``rows`` as a WeChat trade bill (UTF-8, CRLF, as WeChat serves it).

    The summary is computed from the rows unless ``declared`` is given (tests write a
    wrong one with it). A refund line carries 订单金额 and 应结订单金额 ``0.00`` (so the
    summary's order totals are the payments'), 退款金额 = 申请退款金额 = ``amount`` and
    手续费 = −``fee_amount``. Fees are written with five decimals like WeChat's.
    """
    out: list[str] = [",".join(COLUMNS)]
    append = out.append
    prefix = f"`{appid},`{mchid},`0,`,`"
    count = 0
    settle_sum = refund_sum = fee_sum = order_sum = ZERO
    for row in rows:
        when = row.occurred_at.astimezone(SHANGHAI).isoformat(" ", "seconds")[:19]
        if row.kind == PAYMENT:
            voucher = row.amount - row.settle_amount
            append(
                f"`{when},{prefix}{row.channel_trade_no},`{row.transaction_no},`,`JSAPI,"
                f"`SUCCESS,`OTHERS,`CNY,`{row.settle_amount},`{voucher},`0,`0,`0.00,`0.00,"
                f"`,`,`{_plain(row.transaction_no)},`,`{row.fee_amount:.5f},`0.60%,"
                f"`{row.amount},`0.00,`"
            )
            settle_sum += row.settle_amount
            order_sum += row.amount
            fee_sum += row.fee_amount
        else:
            append(
                f"`{when},{prefix}{row.channel_trade_no},`{row.transaction_no},`,`JSAPI,"
                f"`REFUND,`OTHERS,`CNY,`0.00,`0.00,`{row.channel_refund_no},"
                f"`{row.refund_no},`{row.amount},`0.00,`ORIGINAL,`SUCCESS,"
                f"`{_plain(row.transaction_no)},`,`{ZERO - row.fee_amount:.5f},`0.60%,`0.00,"
                f"`{row.amount},`"
            )
            refund_sum += row.amount
            fee_sum -= row.fee_amount
        count += 1
    if declared is None:
        line = (
            f"`{count},`{settle_sum},`{refund_sum},`0.00,`{fee_sum:.5f},`{order_sum},`{refund_sum}"
        )
    else:
        line = (
            f"`{declared.payment_count + declared.refund_count},`{declared.settle_amount},"
            f"`{declared.refund_amount},`0.00,`{declared.fee_amount:.5f},"
            f"`{declared.payment_amount},`{declared.refund_amount}"
        )
    append(",".join(SUMMARY_COLUMNS))
    append(line)
    append("")
    return "\r\n".join(out).encode("utf-8")
