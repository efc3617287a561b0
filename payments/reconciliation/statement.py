"""A sales channel's settlement statement (渠道结算单): our documented CSV layout.

The file (UTF-8, an optional BOM) is what finance uploads for one channel and period::

    日期,流水号,类型,金额,备注
    2026-11-03 10:15:00,DD20261103001,结算,120.00,订单结算
    2026-11-04,DD20261103001,退款,-20.00,
    合计,2,,100.00
    期末余额,,,1100.00

* 日期: ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM[:SS]`` (Asia/Shanghai); inside the period.
* 流水号: the reference the channel and our ledger share (``ChannelLedgerEntry.reference_no``).
* 类型: 结算 / 退款 / 调整 / 提现 ↔ ``ChannelLedgerEntry.Kind`` settlement / refund /
  adjustment / withdrawal.
* 金额: signed like our ledger (+ credits the channel, − debits it), two decimals; a
  settlement is positive, a refund or withdrawal negative, an adjustment not zero.
* An optional ``合计,<lines>,,<signed sum>`` line is checked against the lines when
  present; an optional ``期末余额,,,<balance>`` line is the statement's closing balance
  (compared with our ledger, never required).

Each detail line becomes a ``BillRow`` so it loads into ``BillLine`` like a payment
bill: a credit is kind ``payment``, a debit kind ``refund``, ``amount`` positive; the
reference is in ``transaction_no`` and the ledger kind code (``settlement`` …) in
``channel_status`` — the matcher joins on both, since our ledger's reference is
unique per (channel, kind, reference).

A malformed file raises ``BillFormatError`` naming its line. :func:`write_statement`
writes the layout (tests, the demo).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .bills import PAYMENT, REFUND, ZERO, BillFormatError, BillReader, BillRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = ("日期", "流水号", "类型", "金额", "备注")
TOTAL_LABEL = "合计"
CLOSING_LABEL = "期末余额"

# 类型 ↔ ChannelLedgerEntry.Kind, and the sign each must have (0: either, never zero).
KINDS = {"结算": "settlement", "退款": "refund", "调整": "adjustment", "提现": "withdrawal"}
KIND_NAMES = {code: name for name, code in KINDS.items()}
_SIGNS = {"settlement": 1, "refund": -1, "withdrawal": -1, "adjustment": 0}

_AMOUNT = re.compile(r"-?\d{1,12}(\.\d{1,2})?")
_REFERENCE_MAX = 60
TWO_PLACES = Decimal("0.01")


def _amount(text: str, line_no: int) -> Decimal:
    text = text.strip()
    if not _AMOUNT.fullmatch(text):
        raise BillFormatError(
            _("“%(value)s” is not an amount (e.g. 120.00 or -20.00).") % {"value": text[:30]},
            line=line_no,
        )
    try:
        return Decimal(text).quantize(TWO_PLACES)
    except InvalidOperation:  # pragma: no cover - the pattern rules it out
        raise BillFormatError(_("Not an amount."), line=line_no) from None


def _moment(text: str, line_no: int) -> datetime:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return moment.replace(tzinfo=SHANGHAI)
    raise BillFormatError(
        _("“%(value)s” is not a date (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS).") % {"value": text[:30]},
        line=line_no,
    )


@dataclass
class StatementReader(BillReader):
    """Read a statement; ``bill_date`` … ``period_end`` is the period its lines must fall in.

    After :meth:`finish`, ``declared_count`` / ``declared_sum`` hold the 合计 line (or
    ``None``), ``closing_balance`` the 期末余额 line (or ``None``); ``totals`` has the
    credits as payments and the debits as refunds (positive amounts), ``net_amount``
    the signed sum of the lines.
    """

    period_end: date | None = None
    net_amount: Decimal = ZERO
    declared_count: int | None = None
    declared_sum: Decimal | None = None
    closing_balance: Decimal | None = None
    _seen_footer: bool = field(default=False, repr=False)

    def _text(self) -> str:
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_no = self.data[: exc.start].count(b"\n") + 1
            raise BillFormatError(
                _("The file is not UTF-8 text (save the statement as UTF-8 CSV)."), line=line_no
            ) from None
        return text.removeprefix("\ufeff")

    def check_header(self) -> None:
        """Raise ``BillFormatError`` (line 1) unless the file starts with our header."""
        first = self._text().split("\n", 1)[0].rstrip("\r")
        self._header(first)

    def _header(self, line: str) -> None:
        columns = tuple(part.strip() for part in line.split(","))
        if columns != HEADER:
            missing = [name for name in HEADER if name not in columns]
            raise BillFormatError(
                _("The header must be %(header)s.") % {"header": ",".join(HEADER)}
                + (
                    " " + _("Missing: %(columns)s.") % {"columns": ",".join(missing)}
                    if missing
                    else ""
                ),
                line=1,
            )

    def rows(self) -> Iterator[BillRow]:
        lines = self._text().split("\n")
        if not lines or not lines[0].strip():
            raise BillFormatError(_("The file is empty."), line=1)
        self._header(lines[0].rstrip("\r"))
        start = datetime.combine(self.bill_date, time.min, SHANGHAI) if self.bill_date else None
        end = self.period_end or self.bill_date
        for index, raw in enumerate(lines[1:], start=2):
            line = raw.rstrip("\r")
            if not line.strip():
                continue
            parts = line.split(",")
            label = parts[0].strip()
            if label in (TOTAL_LABEL, CLOSING_LABEL):
                self._footer(label, parts, index)
                continue
            if self._seen_footer:
                raise BillFormatError(
                    _("A detail line after the 合计 / 期末余额 lines."), line=index
                )
            yield self._row(parts, index, start, end)

    def _footer(self, label: str, parts: list[str], line_no: int) -> None:
        if len(parts) not in (4, 5):
            raise BillFormatError(
                _("%(label)s line: expected %(label)s,<lines>,,<amount>.") % {"label": label},
                line=line_no,
            )
        self._seen_footer = True
        if label == TOTAL_LABEL:
            if self.declared_count is not None:
                raise BillFormatError(_("A second 合计 line."), line=line_no)
            count = parts[1].strip()
            if not count.isdigit():
                raise BillFormatError(
                    _("合计: “%(value)s” is not a number of lines.") % {"value": count[:20]},
                    line=line_no,
                )
            self.declared_count = int(count)
            self.declared_sum = _amount(parts[3], line_no)
        else:
            if self.closing_balance is not None:
                raise BillFormatError(_("A second 期末余额 line."), line=line_no)
            self.closing_balance = _amount(parts[3], line_no)

    def _row(self, parts: list[str], line_no: int, start, end) -> BillRow:
        if len(parts) != len(HEADER):
            raise BillFormatError(
                _("Expected %(expected)d fields, found %(found)d (a comma in 备注?).")
                % {"expected": len(HEADER), "found": len(parts)},
                line=line_no,
            )
        moment = _moment(parts[0], line_no)
        if start is not None and not (start.date() <= moment.date() <= end):
            raise BillFormatError(
                _("%(date)s is outside the period %(start)s – %(end)s.")
                % {"date": moment.date(), "start": start.date(), "end": end},
                line=line_no,
            )
        reference = parts[1].strip()
        if not reference or len(reference) > _REFERENCE_MAX:
            raise BillFormatError(
                _("流水号 is required (at most %(n)d characters).") % {"n": _REFERENCE_MAX},
                line=line_no,
            )
        kind = KINDS.get(parts[2].strip())
        if kind is None:
            raise BillFormatError(
                _("类型 must be one of %(kinds)s, not “%(value)s”.")
                % {"kinds": "/".join(KINDS), "value": parts[2].strip()[:20]},
                line=line_no,
            )
        value = _amount(parts[3], line_no)
        sign = _SIGNS[kind]
        if value == 0 or (sign > 0 and value < 0) or (sign < 0 and value > 0):
            raise BillFormatError(
                _("金额 %(amount)s does not fit 类型 %(kind)s (结算 +, 退款/提现 −, 调整 not 0).")
                % {"amount": value, "kind": KIND_NAMES[kind]},
                line=line_no,
            )
        row = BillRow(
            line_no=line_no,
            kind=PAYMENT if value > 0 else REFUND,
            occurred_at=moment,
            transaction_no=reference,
            channel_trade_no="",
            refund_no="",
            channel_refund_no="",
            amount=abs(value),
            settle_amount=abs(value) if value > 0 else ZERO,
            fee_amount=ZERO,
            channel_status=kind,
        )
        self.totals.add(row)
        self.net_amount += value
        return row

    def finish(self) -> None:
        """Check the 合计 line (when the file has one) against the lines read."""
        count = self.totals.payment_count + self.totals.refund_count
        if self.declared_count is None:
            return
        if self.declared_count != count or self.declared_sum != self.net_amount:
            raise BillFormatError(
                _(
                    "The 合计 line says %(declared_count)d lines, %(declared_sum)s; the lines "
                    "add up to %(count)d lines, %(sum)s."
                )
                % {
                    "declared_count": self.declared_count,
                    "declared_sum": self.declared_sum,
                    "count": count,
                    "sum": self.net_amount,
                },
                line=0,
            )


@dataclass(frozen=True)
class StatementLine:
    """One line for :func:`write_statement` (amount signed like the ledger)."""

    occurred_at: datetime | date
    reference_no: str
    kind: str  # settlement | refund | adjustment | withdrawal
    amount: Decimal
    note: str = ""


def write_statement(
    lines: Iterable[StatementLine],
    *,
    with_total: bool = True,
    declared: tuple[int, Decimal] | None = None,
    closing_balance: Decimal | None = None,
    bom: bool = False,
) -> bytes:
    """The statement file of ``lines`` (UTF-8); the 合计 line is computed unless
    ``declared`` gives (lines, sum) — tests write wrong ones."""
    out = [",".join(HEADER)]
    count, total = 0, ZERO
    for line in lines:
        moment = line.occurred_at
        if isinstance(moment, datetime):
            when = moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        else:
            when = moment.isoformat()
        amount = Decimal(line.amount).quantize(TWO_PLACES)
        note = line.note.replace(",", "，").replace("\n", " ")
        out.append(f"{when},{line.reference_no},{KIND_NAMES[line.kind]},{amount},{note}")
        count += 1
        total += amount
    if declared is not None:
        out.append(f"{TOTAL_LABEL},{declared[0]},,{Decimal(declared[1]).quantize(TWO_PLACES)}")
    elif with_total:
        out.append(f"{TOTAL_LABEL},{count},,{total}")
    if closing_balance is not None:
        out.append(f"{CLOSING_LABEL},,,{Decimal(closing_balance).quantize(TWO_PLACES)}")
    text = "\n".join(out) + "\n"
    return ("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8")
