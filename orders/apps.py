from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Trading")

    def ready(self) -> None:
        from mall.core.scoping import declare_scope

        from . import models as m
        from . import parameters  # noqa: F401 - registers the system parameters and SLA kinds
        from . import workbench_items_after_sales as _after_sales_tiles  # noqa: F401
        from . import workbench_items_promotions as _promotion_tiles  # noqa: F401
        from .services import transitions  # noqa: F401 - registers the status tables

        grant = ("channel", "orders.work_channel")
        # A channel operator works on their channel (object grant) or the channel they
        # operate (owner); regional ops read channels through the orders they see.
        declare_scope(m.SalesChannel, owner="operator", grant=("self", "orders.work_channel"))
        declare_scope(
            m.ChannelLedgerEntry,
            owner="channel__operator",
            grant=("channel", "orders.work_channel"),
        )
        declare_scope(m.PromotionPeriod, unscoped=True)
        # Promotions are national: sessions and campaigns are read by whoever may view
        # them; their figures are scoped through the orders (orders/promotions/results.py).
        for model in (
            m.FlashSession,
            m.FlashSessionItem,
            m.FlashPurchase,
            m.Campaign,
            m.CampaignResult,
            m.FlashSessionResult,
            m.CampaignTier,
            m.StoreEventCount,
            m.ProductAffinity,
            m.MemberRecommendation,
            m.PreheatNotice,
        ):
            declare_scope(model, unscoped=True)
        declare_scope(m.CampaignUsage, region="order__region", grant=("order__channel", grant[1]))
        declare_scope(m.FreightTemplate, unscoped=True)
        declare_scope(m.FreightRule, unscoped=True)
        # An order is scoped by the region of its delivery province, and granted by channel.
        declare_scope(m.Order, region="region", grant=grant)
        declare_scope(m.OrderLine, region="order__region", grant=("order__channel", grant[1]))
        declare_scope(m.OrderEvent, region="order__region", grant=("order__channel", grant[1]))
        declare_scope(
            m.ModificationRequest, region="order__region", grant=("order__channel", grant[1])
        )
        declare_scope(m.VirtualCode, region="order__region", grant=("order__channel", grant[1]))
        declare_scope(m.AfterSale, region="region", grant=grant)
        declare_scope(
            m.AfterSaleLine,
            region="after_sale__region",
            grant=("after_sale__channel", grant[1]),
        )
        declare_scope(
            m.AfterSaleImage,
            region="after_sale__region",
            grant=("after_sale__channel", grant[1]),
        )
        declare_scope(
            m.AfterSaleEvent,
            region="after_sale__region",
            grant=("after_sale__channel", grant[1]),
        )
        declare_scope(m.Review, region="region", grant=("order__channel", grant[1]))
        declare_scope(
            m.ReviewImage, region="review__region", grant=("review__order__channel", grant[1])
        )
        # fulfilment: provides dispatch.shipment_delivered; adminui: workbench tiles and
        # charts, the member 360° sections (hook providers)
        from . import hooks, member_360, workbench_items  # noqa: F401
        from . import rfm_source as _rfm_source  # noqa: F401 - provides members.rfm_source
