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
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from mall.core.exceptions import ApplicationError

PAYMENT = "payment"
REFUND = "refund"
ZERO = Decimal("0.00")


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
