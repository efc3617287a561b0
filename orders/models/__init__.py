"""Models of the orders app (交易管理): sales channels, orders, after-sales, reviews.

Statuses change only through ``orders/services/transitions.py`` (the kernel's
transition helper). Personal data on an order (recipient, phone, street) is a
snapshot of the address at placement, encrypted like members' addresses.
Money is ``MoneyField`` (Decimal 14,2); every amount has a CHECK constraint.

One module per section: ``channels`` (sales channels, promotion calendar, freight),
``orders``, ``after_sales``, ``reviews``; every model is importable from here.
"""

from .after_sales import AfterSale, AfterSaleEvent, AfterSaleImage, AfterSaleLine
from .channels import (
    ChannelLedgerEntry,
    FreightRule,
    FreightTemplate,
    PromotionPeriod,
    SalesChannel,
)
from .orders import ModificationRequest, Order, OrderEvent, OrderLine, VirtualCode
from .reviews import Review, ReviewImage

__all__ = [
    "AfterSale",
    "AfterSaleEvent",
    "AfterSaleImage",
    "AfterSaleLine",
    "ChannelLedgerEntry",
    "FreightRule",
    "FreightTemplate",
    "ModificationRequest",
    "Order",
    "OrderEvent",
    "OrderLine",
    "PromotionPeriod",
    "Review",
    "ReviewImage",
    "SalesChannel",
    "VirtualCode",
]
