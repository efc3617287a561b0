"""Staff endpoints of the dispatch centre under ``/api/v1/dispatch/``.

Every viewset is a kernel :class:`~mall.core.api.ScopedViewSet`: it reads through
``selectors`` (the data scope: a warehouse clerk sees their own warehouse only; out
of scope is 404), filters with ``dispatch/filters.py``, validates input with a
serializer, calls one service and answers with :meth:`respond`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mall.core.api import ScopedViewSet
from mall.core.idempotency import idempotent

from . import selectors, services
from .exceptions import InvalidDispatchInput
from .filters import AllocationFilter, ShipmentFilter, StockFilter, StockMovementFilter
from .inputs import snapshot_lines_from_file
from .models import Stock
from .serializers import (
    AllocationSerializer,
    CarrierSerializer,
    PlanSerializer,
    PredispatchInput,
    PurchaseInboundInput,
    PurchaseInboundSerializer,
    ReturnReceiptInput,
    ReturnReceiptSerializer,
    SafetyStockInput,
    ShipInput,
    ShipmentDetailSerializer,
    ShipmentSerializer,
    SnapshotReviewInput,
    StockMovementSerializer,
    StockSerializer,
    StockSnapshotInput,
    StockSnapshotSerializer,
    StocktakeInput,
    StocktakeSerializer,
    TrackingEventInput,
    TrackingEventSerializer,
    TransferInput,
    TransferSerializer,
    WarehouseSerializer,
)


def _warehouse(actor, warehouse_id: int, field: str = "warehouse"):
    """A warehouse in the caller's scope, or a field error (never confirms it exists)."""
    found = selectors.warehouse_list(actor=actor).filter(pk=warehouse_id).first()
    if found is None:
        raise InvalidDispatchInput(fields={field: [_("No such warehouse.")]})
    return found


def _destination(actor, warehouse_id: int):
    """A transfer's destination may lie outside the sender's scope (another region)."""
    found = selectors.transfer_destination_list(actor=actor).filter(pk=warehouse_id).first()
    if found is None:
        raise InvalidDispatchInput(fields={"to_warehouse": [_("No such warehouse.")]})
    return found


def _lines(data) -> list[tuple[str, int]]:
    return [(line["sku"], line["quantity"]) for line in data]


@extend_schema(tags=["dispatch"])
class WarehouseViewSet(ScopedViewSet):
    """Warehouses in the caller's scope."""

    serializer_class = WarehouseSerializer
    list_selector = selectors.warehouse_list


@extend_schema(tags=["dispatch"])
class CarrierViewSet(ScopedViewSet):
    """Carriers (reference data)."""

    serializer_class = CarrierSerializer
    list_selector = selectors.carrier_list


@extend_schema(tags=["dispatch"])
class StockViewSet(ScopedViewSet):
    """Stock per warehouse and SKU with sellable units; ``?low=true`` for below safety."""

    serializer_class = StockSerializer
    list_selector = selectors.stock_list
    filterset_class = StockFilter
    required_permissions = {"safety_stock": ["dispatch.change_stock"]}

    def get_queryset(self):
        # The schema generator builds views without a database; the selector reads a
        # system parameter (safety stock held back?) while it builds its queryset.
        if getattr(self, "swagger_fake_view", False):
            return Stock.objects.none()
        return super().get_queryset()

    @extend_schema(request=SafetyStockInput, responses=StockSerializer)
    @action(detail=True, methods=["post"], url_path="safety-stock")
    def safety_stock(self, request, pk=None):
        """Set the safety stock (low-stock alert level) of one stock row."""
        data = self.validated(SafetyStockInput)
        stock = services.stock_safety_set(
            actor=request.user, stock=self.get_object(), safety_stock=data["safety_stock"]
        )
        return self.respond(stock)


@extend_schema(tags=["dispatch"])
class StockMovementViewSet(ScopedViewSet):
    """The stock ledger (库存流水), newest first."""

    serializer_class = StockMovementSerializer
    list_selector = selectors.stock_movement_list
    filterset_class = StockMovementFilter


@extend_schema(tags=["dispatch"])
class AllocationViewSet(ScopedViewSet):
    """Allocations by order number, with their shipments; pre-dispatch plans."""

    serializer_class = AllocationSerializer
    list_selector = selectors.allocation_list_with_shipments
    filterset_class = AllocationFilter
    required_permissions = {"predispatch": ["dispatch.view_allocation"]}

    # Served at /api/v1/dispatch/predispatch/ (the API contract), mapped to this action
    # in urls.py rather than by the router: a plan is not an allocation row.
    @extend_schema(request=PredispatchInput, responses=PlanSerializer)
    def predispatch(self, request):
        """Pre-dispatch estimate for a province and lines (reserves nothing)."""
        data = self.validated(PredispatchInput)
        plan = services.predispatch(
            actor=request.user, province=data["province"], lines=_lines(data["lines"])
        )
        return Response(PlanSerializer(plan.as_dict()).data)


@extend_schema(tags=["dispatch"])
class ShipmentViewSet(ScopedViewSet):
    """Shipments (发货单) and supplier orders; ship out; record tracking events."""

    serializer_class = ShipmentDetailSerializer
    list_selector = selectors.shipment_list
    get_selector = selectors.shipment_get
    filterset_class = ShipmentFilter
    required_permissions = {
        "ship": ["dispatch.change_shipment"],
        "events": ["dispatch.change_shipment"],
    }

    def get_serializer_class(self):
        if self.action == "list":
            return ShipmentSerializer
        return ShipmentDetailSerializer

    @extend_schema(responses=ShipmentSerializer(many=True))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ShipInput, responses=ShipmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        """Ship out with the waybill number (and optionally another carrier's code)."""
        data = self.validated(ShipInput)
        carrier = None
        if data.get("carrier"):
            carrier = (
                selectors.carrier_list(actor=request.user).filter(code=data["carrier"]).first()
            )
            if carrier is None:
                raise InvalidDispatchInput(fields={"carrier": [_("No such carrier.")]})
        shipment = services.shipment_ship(
            actor=request.user,
            shipment=self.get_object(),
            waybill_no=data["waybill_no"],
            carrier=carrier,
        )
        return self.respond(shipment)

    @extend_schema(request=TrackingEventInput, responses={201: TrackingEventSerializer})
    @action(detail=True, methods=["post"])
    def events(self, request, pk=None):
        """Record a logistics tracking event (restarts the 48 h silence clock)."""
        data = self.validated(TrackingEventInput)
        event = services.tracking_event_record(
            actor=request.user, shipment=self.get_object(), **data
        )
        return Response(TrackingEventSerializer(event).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["dispatch"])
class PurchaseInboundViewSet(ScopedViewSet):
    """Purchase inbounds (采购入库单): in transit, then arrival."""

    serializer_class = PurchaseInboundSerializer
    list_selector = selectors.purchase_inbound_list
    required_permissions = {
        "arrive": ["dispatch.change_purchaseinbound"],
    }

    @extend_schema(request=PurchaseInboundInput, responses={201: PurchaseInboundSerializer})
    @idempotent
    def create(self, request):
        data = self.validated(PurchaseInboundInput)
        document = services.purchase_inbound_create(
            actor=request.user,
            warehouse=_warehouse(request.user, data["warehouse"]),
            lines=_lines(data["lines"]),
            supplier_name=data["supplier_name"],
            note=data["note"],
        )
        return self.respond(document, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PurchaseInboundSerializer)
    @action(detail=True, methods=["post"])
    def arrive(self, request, pk=None):
        """Book the arrival: in transit becomes on hand."""
        document = services.purchase_inbound_arrive(actor=request.user, document=self.get_object())
        return self.respond(document)


@extend_schema(tags=["dispatch"])
class TransferViewSet(ScopedViewSet):
    """Transfers between warehouses (visible to the destination, which receives them)."""

    serializer_class = TransferSerializer
    list_selector = selectors.transfer_list
    required_permissions = {
        "receive": ["dispatch.change_transfer"],
    }

    @extend_schema(request=TransferInput, responses={201: TransferSerializer})
    @idempotent
    def create(self, request):
        data = self.validated(TransferInput)
        to_warehouse = _destination(request.user, data["to_warehouse"])
        document = services.transfer_create(
            actor=request.user,
            from_warehouse=_warehouse(request.user, data["from_warehouse"], "from_warehouse"),
            to_warehouse=to_warehouse,
            lines=_lines(data["lines"]),
            note=data["note"],
        )
        # The sender may not see the transfer (the destination's scope): respond()
        # then answers with what was saved.
        return self.respond(document, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """Receive the goods at the destination."""
        document = services.transfer_receive(actor=request.user, document=self.get_object())
        return self.respond(document)


@extend_schema(tags=["dispatch"])
class StocktakeViewSet(ScopedViewSet):
    """Stocktakes (盘点): counted quantities and the gain/loss they booked."""

    serializer_class = StocktakeSerializer
    list_selector = selectors.stocktake_list

    @extend_schema(request=StocktakeInput, responses={201: StocktakeSerializer})
    @idempotent
    def create(self, request):
        data = self.validated(StocktakeInput)
        document = services.stocktake_record(
            actor=request.user,
            warehouse=_warehouse(request.user, data["warehouse"]),
            counts=_lines(data["lines"]),
            note=data["note"],
        )
        return self.respond(document, status.HTTP_201_CREATED)


@extend_schema(tags=["dispatch"])
class ReturnReceiptViewSet(ScopedViewSet):
    """Return receipts (退货入库): returned goods back on hand."""

    serializer_class = ReturnReceiptSerializer
    list_selector = selectors.return_receipt_list

    @extend_schema(request=ReturnReceiptInput, responses={201: ReturnReceiptSerializer})
    @idempotent
    def create(self, request):
        data = self.validated(ReturnReceiptInput)
        document = services.return_receipt_record(
            actor=request.user,
            warehouse=_warehouse(request.user, data["warehouse"]),
            order_no=data["order_no"],
            lines=_lines(data["lines"]),
            note=data["note"],
        )
        return self.respond(document, status.HTTP_201_CREATED)


@extend_schema(tags=["dispatch"])
class StockSnapshotViewSet(ScopedViewSet):
    """Stock snapshots reported by warehouses (JSON lines or a CSV file) and their review."""

    serializer_class = StockSnapshotSerializer
    list_selector = selectors.stock_snapshot_list
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    required_permissions = {
        "reconcile": ["dispatch.change_stocksnapshot"],
        "review": ["dispatch.change_stocksnapshot"],
    }

    @extend_schema(request=StockSnapshotInput, responses={201: StockSnapshotSerializer})
    @idempotent
    def create(self, request):
        data = self.validated(StockSnapshotInput)
        if data.get("file"):
            lines, source = snapshot_lines_from_file(data["file"]), "file"
        else:
            lines, source = _lines(data["lines"]), "api"
        document = services.stock_snapshot_submit(
            actor=request.user,
            warehouse=_warehouse(request.user, data["warehouse"]),
            lines=lines,
            taken_at=data["taken_at"],
            source=source,
            note=data["note"],
        )
        return self.respond(document, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=StockSnapshotSerializer)
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        """Reconcile now instead of waiting for the hourly job."""
        document = services.stock_snapshot_reconcile(
            actor=request.user, snapshot_doc=self.get_object()
        )
        return self.respond(document)

    @extend_schema(request=SnapshotReviewInput, responses=StockSnapshotSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Accept (book) or reject one line held for review."""
        data = self.validated(SnapshotReviewInput)
        document = self.get_object()
        line = (
            selectors.stock_snapshot_line_list(actor=request.user)
            .filter(document=document, pk=data["line"])
            .first()
        )
        if line is None:
            raise InvalidDispatchInput(fields={"line": [_("No such line in this snapshot.")]})
        services.stock_snapshot_line_review(actor=request.user, line=line, accept=data["accept"])
        return self.respond(document)
