from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Dispatch centre")

    def ready(self) -> None:
        from catalog.availability import register_sellable_stock_provider
        from mall.core.scoping import declare_scope

        from . import models as m
        from . import (
            parameters,  # noqa: F401 - registers the system parameters
            workbench_items,  # noqa: F401 - registers the workbench tiles
        )
        from .availability import sellable_units_by_sku
        from .services import transitions  # noqa: F401 - registers the status tables

        grant = "dispatch.work_warehouse"
        declare_scope(m.Warehouse, region="region", grant=("self", grant))
        declare_scope(m.CoverageArea, region="warehouse__region", grant=("warehouse", grant))
        declare_scope(m.Carrier, unscoped=True)
        declare_scope(m.CarrierRule, unscoped=True)
        declare_scope(m.Stock, region="warehouse__region", grant=("warehouse", grant))
        declare_scope(
            m.StockMovement, region="stock__warehouse__region", grant=("stock__warehouse", grant)
        )
        # An allocation may span warehouses: scoped by the delivery province's region.
        declare_scope(m.Allocation, region="province__region")
        declare_scope(m.Shipment, region="warehouse__region", grant=("warehouse", grant))
        declare_scope(
            m.TrackingEvent,
            region="shipment__warehouse__region",
            grant=("shipment__warehouse", grant),
        )
        for document in (m.PurchaseInbound, m.Stocktake, m.ReturnReceipt, m.StockSnapshot):
            declare_scope(document, region="warehouse__region", grant=("warehouse", grant))
        declare_scope(
            m.StockSnapshotLine,
            region="document__warehouse__region",
            grant=("document__warehouse", grant),
        )
        # A transfer is worked on by its destination (it receives the goods).
        declare_scope(m.Transfer, region="to_warehouse__region", grant=("to_warehouse", grant))

        register_sellable_stock_provider(sellable_units_by_sku)
        from . import catalog_hooks  # noqa: F401 - provides catalog.sellable_stock
