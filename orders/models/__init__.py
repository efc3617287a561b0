"""Models of the orders app (交易管理): sales channels, orders, after-sales, reviews.

Statuses change only through ``orders/services/transitions.py`` (the kernel's
transition helper). Personal data on an order (recipient, phone, street) is a
snapshot of the address at placement, encrypted like members' addresses.
Money is ``MoneyField`` (Decimal 14,2); every amount has a CHECK constraint.

One module per section: ``channels`` (sales channels, promotion calendar, freight),
``orders``, ``after_sales``, ``reviews``, ``promotions`` (flash sessions, campaigns,
view counts, recommendations); every model is importable from here.
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
from .promotions import (
    ApprovalStatus,
    Campaign,
    CampaignResult,
    CampaignTier,
    CampaignUsage,
    FlashPurchase,
    FlashSession,
    FlashSessionItem,
    FlashSessionResult,
    MemberRecommendation,
    PreheatNotice,
    ProductAffinity,
    StoreEventCount,
)
from .reviews import Review, ReviewImage

__all__ = [
    "AfterSale",
    "AfterSaleEvent",
    "AfterSaleImage",
    "AfterSaleLine",
    "ApprovalStatus",
    "Campaign",
    "CampaignResult",
    "CampaignTier",
    "CampaignUsage",
    "ChannelLedgerEntry",
    "FlashPurchase",
    "FlashSession",
    "FlashSessionItem",
    "FlashSessionResult",
    "FreightRule",
    "FreightTemplate",
    "MemberRecommendation",
    "ModificationRequest",
    "Order",
    "OrderEvent",
    "OrderLine",
    "PreheatNotice",
    "ProductAffinity",
    "PromotionPeriod",
    "Review",
    "ReviewImage",
    "SalesChannel",
    "StoreEventCount",
    "VirtualCode",
]
