"""Which parser reads which channel's bill (the one place that knows)."""

from __future__ import annotations

from datetime import date

from ..exceptions import ReconciliationChannelUnsupported
from .bills import BillReader

# Channels whose daily bill is reconciled (the 10:00 schedule and uploads). UnionPay's
# bill is not parsed and the member balance is our own ledger (docs/RECONCILIATION.md).
RECONCILED_CHANNELS = ("wechat", "alipay", "sandbox")


def bill_reader(channel: str, data: bytes, *, bill_date: date | None = None) -> BillReader:
    """A reader over ``data`` (the file as the channel gives it) for ``channel``."""
    if channel in ("wechat", "sandbox"):
        from .wechat_bill import WechatBillReader

        return WechatBillReader(data=data, bill_date=bill_date)
    if channel == "alipay":
        from .alipay_bill import AlipayBillReader

        return AlipayBillReader(data=data, bill_date=bill_date)
    raise ReconciliationChannelUnsupported()
