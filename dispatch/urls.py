"""Dispatch URLs: staff endpoints under ``api/v1/dispatch/``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("warehouses", apis.WarehouseViewSet, basename="dispatch-warehouse")
router.register("carriers", apis.CarrierViewSet, basename="dispatch-carrier")
router.register("stock", apis.StockViewSet, basename="dispatch-stock")
router.register("movements", apis.StockMovementViewSet, basename="dispatch-movement")
router.register("allocations", apis.AllocationViewSet, basename="dispatch-allocation")
router.register("shipments", apis.ShipmentViewSet, basename="dispatch-shipment")
router.register("purchase-inbounds", apis.PurchaseInboundViewSet, basename="dispatch-purchase")
router.register("transfers", apis.TransferViewSet, basename="dispatch-transfer")
router.register("stocktakes", apis.StocktakeViewSet, basename="dispatch-stocktake")
router.register("return-receipts", apis.ReturnReceiptViewSet, basename="dispatch-return")
router.register("stock-snapshots", apis.StockSnapshotViewSet, basename="dispatch-snapshot")

urlpatterns = [
    path("api/v1/dispatch/", include(router.urls)),
    # Pre-dispatch keeps the contract's path: an action of AllocationViewSet, mapped
    # here rather than by the router (a plan is not an allocation row).
    path(
        "api/v1/dispatch/predispatch/",
        apis.AllocationViewSet.as_view(
            {"post": "predispatch"}, detail=False, basename="dispatch-allocation"
        ),
        name="dispatch-predispatch",
    ),
]
