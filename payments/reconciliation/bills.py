"""What every bill parser produces: ``BillRow`` lines, ``BillTotals``, ``BillFormatError``.

A parser reads the file **as a stream** and yields one ``BillRow`` per detail line,
checking each as it goes; a bad line raises ``BillFormatError`` naming the line. After
the last row, :meth:`BillReader.finish` checks what only the end can tell: the file was
not truncated (its summary lines are there) and the summary equals the sum of the rows.
The loader writes rows inside one database transaction, so a file rejected on any line —
or at ``finish()`` — leaves nothing behind.

Amounts in a ``BillRow`` are positive ``Decimal`` with two places:

* payment: ``amount`` = the order amount the channel collected (WeChat 订单金额, Alipay
  订单金额（元）) — compared with our ``paid_amount``; ``settle_amount`` = what the merchant
  is settled (WeChat 应结订单金额, Alipay 商家实收); ``fee_amount`` = fee charged;
* refund: ``amount`` = the refunded amount (WeChat 退款金额, Alipay's negative 订单金额
  turned positive); ``fee_amount`` = the fee returned (positive).

Field bounds (checked by the parsers, so a bad value fails at its line rather than in
the database): numbers at most 64 characters (the ``BillLine`` columns), the status at
most 30, no control characters (NUL …) in numbers, amounts below 10^10 yuan.

Checks at submit (``sniff``, ``check_bill_date``): the API and the admin read the
file's first ``HEAD_BYTES`` and refuse at once a file that does not look like the
channel's bill (400 ``bill_malformed``); the full parse still happens in the run.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from mall.core.exceptions import ApplicationError

PAYMENT = "payment"
REFUND = "refund"
ZERO = Decimal("0.00")
MAX_NUMBER_LENGTH = 64  # BillLine.transaction_no … channel_refund_no
MAX_STATUS_LENGTH = 30  # BillLine.channel_status
MAX_AMOUNT = Decimal(10) ** 10  # an amount at or above this (yuan) is refused
MIN_BILL_DATE = date(2000, 1, 1)
HEAD_BYTES = 64 * 1024  # what the submit check reads of an upload


class BillRow(NamedTuple):
    line_no: int  # 1-based line number in the file (what an error message names)
    kind: str  # PAYMENT | REFUND
    occurred_at: datetime  # aware (Asia/Shanghai as the channel writes it)
    transaction_no: str  # ours: 商户订单号 (out_trade_no)
    channel_trade_no: str  # 微信订单号 / 支付宝交易号
    refund_no: str  # ours: 商户退款单号 / 退款批次号 (refunds only)
    channel_refund_no: str  # 微信退款单号 (refunds only; Alipay has none)
    amount: Decimal
    settle_amount: Decimal
    fee_amount: Decimal
    channel_status: str  # SUCCESS / REFUND / 交易 / 退款 … as written


@dataclass
class BillTotals:
    """Sums over a bill's detail lines (or the bill's own summary lines)."""

    payment_count: int = 0
    payment_amount: Decimal = ZERO  # Σ amount of payment rows
    settle_amount: Decimal = ZERO  # Σ settle_amount of payment rows
    refund_count: int = 0
    refund_amount: Decimal = ZERO  # Σ amount of refund rows
    fee_amount: Decimal = ZERO  # Σ fees charged − Σ fees returned

    def add(self, row: BillRow) -> None:
        if row.kind == PAYMENT:
            self.payment_count += 1
            self.payment_amount += row.amount
            self.settle_amount += row.settle_amount
            self.fee_amount += row.fee_amount
        else:
            self.refund_count += 1
            self.refund_amount += row.amount
            self.fee_amount -= row.fee_amount

    def as_json(self) -> dict:
        return {
            "payment_count": self.payment_count,
            "payment_amount": str(self.payment_amount),
            "settle_amount": str(self.settle_amount),
            "refund_count": self.refund_count,
            "refund_amount": str(self.refund_amount),
            "fee_amount": str(self.fee_amount),
        }


class BillFormatError(ApplicationError):
    """The file is not a bill we can read; ``line`` is the 1-based line (0: the file)."""

    status_code = 400
    code = "bill_malformed"
    default_message = _("The bill file cannot be read.")

    def __init__(self, message=None, *, line: int = 0, **kwargs):
        self.line = line
        if message is not None and line:
            message = _("Line %(line)s: %(message)s") % {"line": line, "message": message}
        super().__init__(message, **kwargs)


@dataclass
class BillReader:
    """Base of the parsers. Subclasses implement :meth:`rows` (a generator) and set
    ``declared`` when they reach the summary lines; ``totals`` grows as rows are read.

    ``header`` holds what the file says about itself (merchant number, app id, period)
    for the caller to check against the channel's configuration.
    """

    data: bytes
    bill_date: date | None = None
    totals: BillTotals = field(default_factory=BillTotals)
    declared: BillTotals | None = None
    header: dict = field(default_factory=dict)

    def rows(self) -> Iterator[BillRow]:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self) -> None:
        """Raise ``BillFormatError`` unless the summary lines were read and equal the
        sum of the detail lines (count and every amount the bill states)."""
        raise NotImplementedError  # pragma: no cover - interface


def check_fields(line: int, fields: Iterable[tuple[str, str]], limit: int) -> None:
    """Refuse a ``(column, value)`` longer than ``limit`` or carrying a control character
    (NUL, tab, line breaks, DEL …) with ``BillFormatError`` naming the line and column.

    Parsers call it only when a cheap test (lengths, ``str.isprintable``) fails."""
    for column, value in fields:
        if len(value) > limit:
            raise BillFormatError(
                _("%(column)s is longer than %(limit)s characters")
                % {"column": column, "limit": limit},
                line=line,
            )
        if any(unicodedata.category(char) == "Cc" for char in value):
            raise BillFormatError(
                _("%(column)s contains a control character") % {"column": column}, line=line
            )


def check_amount(value: Decimal, line: int, column: str) -> Decimal:
    """``value`` unless its size is absurd (10^10 yuan or more): ``BillFormatError``."""
    if abs(value) >= MAX_AMOUNT:
        raise BillFormatError(
            _("%(column)s is out of range: %(value)s") % {"column": column, "value": value},
            line=line,
        )
    return value


def check_bill_date(bill_date: date) -> None:
    """Refuse (400 with ``fields``) a bill date before 2000-01-01 or not yet past: a
    day's bill is available the next day."""
    from django.utils import timezone

    from ..exceptions import InvalidPaymentInput

    if bill_date < MIN_BILL_DATE:
        raise InvalidPaymentInput(
            fields={"bill_date": [_("The bill date cannot be before 2000-01-01.")]}
        )
    if bill_date >= timezone.localdate():
        raise InvalidPaymentInput(
            fields={"bill_date": [_("The bill of a day is available the next day.")]}
        )


def sniff(channel: str, head: bytes) -> None:
    """Does ``head`` (a file's first bytes) look like ``channel``'s bill? Raise
    ``BillFormatError`` (400 ``bill_malformed``, the line) if not.

    The head is cut after its last complete line and read by the channel's own parser
    as far as it goes (the header and the first detail lines, each checked); the summary
    is not looked for (an error the cut may explain, on the head's last lines, is let
    through). An Alipay zip is recognised by its magic number only (the zip's
    directory is at its end). A channel without a parser passes (the service refuses
    the channel).
    """
    from .formats import RECONCILED_CHANNELS, bill_reader

    if channel not in RECONCILED_CHANNELS:
        return
    if not head.strip():
        raise BillFormatError(_("the file is empty"), line=1)
    if channel == "alipay" and head[:4] == b"PK\x03\x04":
        return
    cut = len(head) >= HEAD_BYTES  # the file goes on after the head
    if cut:
        end = head.rfind(b"\n")
        if end != -1:
            head = head[: end + 1]
    last_line = head.count(b"\n")
    try:
        for _row in bill_reader(channel, head).rows():
            pass
    except BillFormatError as error:
        # a summary header whose line lies past the cut is not the file's fault
        if not cut or error.line < last_line - 1:
            raise


def sniff_upload(channel: str, upload) -> None:
    """:func:`sniff` on an uploaded file's first ``HEAD_BYTES``; the file is left at its
    start for whoever reads it next."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    head = upload.read(HEAD_BYTES)
    if hasattr(upload, "seek"):
        upload.seek(0)
    sniff(channel, head)
