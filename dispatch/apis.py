"""Staff endpoints of the dispatch centre under ``/api/v1/dispatch/``.

Views validate input with a serializer, read through ``selectors`` (the data
scope: a warehouse clerk sees their own warehouse only; out of scope is 404), call
one service and render the result.
"""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.idempotency import idempotent
from mall.core.pagination import DefaultCursorPagination
from mall.core.permissions import HasActionPermissions

from . import selectors, services
from .exceptions import InvalidDispatchInput
from .serializers import (
    AllocationSerializer,
    CarrierSerializer,
    MovementFilterInput,
    OrderFilterInput,
    PlanSerializer,
    PredispatchInput,
    PurchaseInboundInput,
    PurchaseInboundSerializer,
    ReturnReceiptInput,
    ReturnReceiptSerializer,
    SafetyStockInput,
    ShipInput,
    ShipmentDetailSerializer,
    ShipmentFilterInput,
    ShipmentSerializer,
    SnapshotReviewInput,
    StockFilterInput,
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
from .services.sync import snapshot_lines_from_file

ID_REGEX = r"[0-9]{1,9}"


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _warehouse(actor, warehouse_id: int, field: str = "warehouse"):
    """A warehouse in the caller's scope, or a field error (never confirms it exists)."""
    found = selectors.warehouse_list(actor).filter(pk=warehouse_id).first()
    if found is None:
        raise InvalidDispatchInput(fields={field: [_("No such warehouse.")]})
    return found


def _lines(data) -> list[tuple[str, int]]:
    return [(line["sku"], line["quantity"]) for line in data]


class ScopedReadViewSet(viewsets.GenericViewSet):
    """List and detail through a selector; ids only; cursor pagination."""

    permission_classes = [HasActionPermissions]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    selector = None
    filter_input = None

    def get_queryset(self):
        return type(self).selector(self.request.user)

    def filter_rows(self, queryset, filters: dict):
        return queryset

    def list(self, request):
        queryset = self.get_queryset()
        if self.filter_input is not None:
            queryset = self.filter_rows(queryset, _valid(self.filter_input, request.query_params))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def _render(self, instance, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(fresh).data, status=code)


@extend_schema(tags=["dispatch"])
class WarehouseViewSet(ScopedReadViewSet):
    """Warehouses in the caller's scope."""

    serializer_class = WarehouseSerializer
    selector = selectors.warehouse_list
    required_permissions = {
        "list": ["dispatch.view_warehouse"],
        "retrieve": ["dispatch.view_warehouse"],
    }


@extend_schema(tags=["dispatch"])
class CarrierViewSet(ScopedReadViewSet):
    """Carriers (reference data)."""

    serializer_class = CarrierSerializer
    selector = selectors.carrier_list
    required_permissions = {
        "list": ["dispatch.view_carrier"],
        "retrieve": ["dispatch.view_carrier"],
    }


@extend_schema(tags=["dispatch"])
class StockViewSet(ScopedReadViewSet):
    """Stock per warehouse and SKU with sellable units; ``?low=true`` for below safety."""

    serializer_class = StockSerializer
    selector = selectors.stock_list
    filter_input = StockFilterInput
    required_permissions = {
        "list": ["dispatch.view_stock"],
        "retrieve": ["dispatch.view_stock"],
        "safety_stock": ["dispatch.change_stock"],
    }

    def filter_rows(self, queryset, filters):
        if filters.get("warehouse"):
            queryset = queryset.filter(warehouse__code=filters["warehouse"])
        if filters.get("sku"):
            queryset = queryset.filter(sku__code=filters["sku"])
        if filters.get("low"):
            queryset = queryset.filter(safety_stock__gt=0, sellable__lt=F("safety_stock"))
        return queryset

    @extend_schema(parameters=[StockFilterInput], responses=StockSerializer(many=True))
    def list(self, request):
        return super().list(request)

    @extend_schema(request=SafetyStockInput, responses=StockSerializer)
    @action(detail=True, methods=["post"], url_path="safety-stock")
    def safety_stock(self, request, pk=None):
        """Set the safety stock (low-stock alert level) of one stock row."""
        data = _valid(SafetyStockInput, request.data)
        stock = services.stock_safety_set(
            actor=request.user, stock=self.get_object(), safety_stock=data["safety_stock"]
        )
        return self._render(stock)


@extend_schema(tags=["dispatch"])
class StockMovementViewSet(ScopedReadViewSet):
    """The stock ledger (库存流水), newest first."""

    serializer_class = StockMovementSerializer
    selector = selectors.stock_movement_list
    filter_input = MovementFilterInput
    required_permissions = {
        "list": ["dispatch.view_stockmovement"],
        "retrieve": ["dispatch.view_stockmovement"],
    }

    def filter_rows(self, queryset, filters):
        if filters.get("warehouse"):
            queryset = queryset.filter(stock__warehouse__code=filters["warehouse"])
        if filters.get("sku"):
            queryset = queryset.filter(stock__sku__code=filters["sku"])
        if filters.get("kind"):
            queryset = queryset.filter(kind=filters["kind"])
        if filters.get("reference_no"):
            queryset = queryset.filter(reference_no=filters["reference_no"])
        return queryset

    @extend_schema(parameters=[MovementFilterInput], responses=StockMovementSerializer(many=True))
    def list(self, request):
        return super().list(request)


@extend_schema(tags=["dispatch"])
class AllocationViewSet(ScopedReadViewSet):
    """Allocations by order number, with their shipments."""

    serializer_class = AllocationSerializer
    filter_input = OrderFilterInput
    required_permissions = {
        "list": ["dispatch.view_allocation"],
        "retrieve": ["dispatch.view_allocation"],
    }

    def get_queryset(self):
        return selectors.allocation_list_with_shipments(self.request.user)

    def filter_rows(self, queryset, filters):
        if filters.get("order_no"):
            queryset = queryset.filter(order_no=filters["order_no"])
        return queryset

    @extend_schema(parameters=[OrderFilterInput], responses=AllocationSerializer(many=True))
    def list(self, request):
        return super().list(request)


@extend_schema(tags=["dispatch"])
class ShipmentViewSet(ScopedReadViewSet):
    """Shipments (发货单) and supplier orders; ship out; record tracking events."""

    serializer_class = ShipmentSerializer
    selector = selectors.shipment_list
    filter_input = ShipmentFilterInput
    required_permissions = {
        "list": ["dispatch.view_shipment"],
        "retrieve": ["dispatch.view_shipment"],
        "ship": ["dispatch.change_shipment"],
        "events": ["dispatch.change_shipment"],
    }

    def get_serializer_class(self):
        if self.action == "list":
            return ShipmentSerializer
        return ShipmentDetailSerializer

    def get_queryset(self):
        return selectors.shipment_list(self.request.user).prefetch_related("events")

    def filter_rows(self, queryset, filters):
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        if filters.get("warehouse"):
            queryset = queryset.filter(warehouse__code=filters["warehouse"])
        if filters.get("order_no"):
            queryset = queryset.filter(order_no=filters["order_no"])
        if filters.get("is_stale") is not None:
            queryset = queryset.filter(is_stale=filters["is_stale"])
        return queryset

    @extend_schema(parameters=[ShipmentFilterInput], responses=ShipmentSerializer(many=True))
    def list(self, request):
        return super().list(request)

    @extend_schema(responses=ShipmentDetailSerializer)
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(request=ShipInput, responses=ShipmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        """Ship out with the waybill number (and optionally another carrier's code)."""
        data = _valid(ShipInput, request.data)
        carrier = None
        if data.get("carrier"):
            carrier = selectors.carrier_list(request.user).filter(code=data["carrier"]).first()
            if carrier is None:
                raise InvalidDispatchInput(fields={"carrier": [_("No such carrier.")]})
        shipment = services.shipment_ship(
            actor=request.user,
            shipment=self.get_object(),
            waybill_no=data["waybill_no"],
            carrier=carrier,
        )
        return self._render(shipment)

    @extend_schema(request=TrackingEventInput, responses={201: TrackingEventSerializer})
    @action(detail=True, methods=["post"])
    def events(self, request, pk=None):
        """Record a logistics tracking event (restarts the 48 h silence clock)."""
        data = _valid(TrackingEventInput, request.data)
        event = services.tracking_event_record(
            actor=request.user, shipment=self.get_object(), **data
        )
        return Response(TrackingEventSerializer(event).data, status=status.HTTP_201_CREATED)


class PredispatchView(APIView):
    """Pre-dispatch estimate for a province and lines (reserves nothing)."""

    permission_classes = [HasActionPermissions]
    required_permissions = {"POST": ["dispatch.view_allocation"]}

    @extend_schema(tags=["dispatch"], request=PredispatchInput, responses=PlanSerializer)
    def post(self, request):
        data = _valid(PredispatchInput, request.data)
        plan = services.predispatch(province=data["province"], lines=_lines(data["lines"]))
        return Response(PlanSerializer(plan.as_dict()).data)


@extend_schema(tags=["dispatch"])
class PurchaseInboundViewSet(ScopedReadViewSet):
    """Purchase inbounds (采购入库单): in transit, then arrival."""

    serializer_class = PurchaseInboundSerializer
    selector = selectors.purchase_inbound_list
    required_permissions = {
        "list": ["dispatch.view_purchaseinbound"],
        "retrieve": ["dispatch.view_purchaseinbound"],
        "create": ["dispatch.add_purchaseinbound"],
        "arrive": ["dispatch.change_purchaseinbound"],
    }

    @extend_schema(request=PurchaseInboundInput, responses={201: PurchaseInboundSerializer})
    @idempotent
    def create(self, request):
        data = _valid(PurchaseInboundInput, request.data)
        document = services.purchase_inbound_create(
            actor=request.user,
            warehouse=_warehouse(request.user, data["warehouse"]),
            lines=_lines(data["lines"]),
            supplier_name=data["supplier_name"],
            note=data["note"],
        )
        return self._render(document, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PurchaseInboundSerializer)
    @action(detail=True, methods=["post"])
    def arrive(self, request, pk=None):
        """Book the arrival: in transit becomes on hand."""
        document = services.purchase_inbound_arrive(actor=request.user, document=self.get_object())
        return self._render(document)


@extend_schema(tags=["dispatch"])
class TransferViewSet(ScopedReadViewSet):
    """Transfers between warehouses (visible to the destination, which receives them)."""

    serializer_class = TransferSerializer
    selector = selectors.transfer_list
    required_permissions = {
        "list": ["dispatch.view_transfer"],
        "retrieve": ["dispatch.view_transfer"],
        "create": ["dispatch.add_transfer"],
        "receive": ["dispatch.change_transfer"],
    }

    @extend_schema(request=TransferInput, responses={201: TransferSerializer})
    @idempotent
    def create(self, request):
        data = _valid(TransferInput, request.data)
        to_warehouse = _any_warehouse(data["to_warehouse"])
        document = services.transfer_create(
            actor=request.user,
            from_warehouse=_warehouse(request.user, data["from_warehouse"], "from_warehouse"),
            to_warehouse=to_warehouse,
            lines=_lines(data["lines"]),
            note=data["note"],
        )
        return Response(TransferSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """Receive the goods at the destination."""
        document = services.transfer_receive(actor=request.user, document=self.get_object())
        return self._render(document)


def _any_warehouse(warehouse_id: int):
    """A transfer's destination may lie outside the sender's scope (another region)."""
    from .models import Warehouse

    found = Warehouse.objects.filter(pk=warehouse_id, is_active=True).first()
    if found is None:
        raise InvalidDispatchInput(fields={"to_warehouse": [_("No such warehouse.")]})
    return found


@extend_schema(tags=["dispatch"])
class StocktakeViewSet(ScopedReadViewSet):
    """Stocktakes (盘点): counted quantities and the gain/loss they booked."""

    serializer_class = StocktakeSerializer
    selector = selectors.stocktake_list
    required_permissions = {
        "list": ["dispatch.view_stocktake"],
        "retrieve": ["dispatch.view_stocktake"],
        "create": ["dispatch.add_stocktake"],
    }

    @extend_schema(request=StocktakeInput, responses={201: StocktakeSerializer})
    @idempotent
    def create(self, request):
        data = _valid(StocktakeInput, request.data)
        document = services.stocktake_record(
            actor=request.user,
            warehouse=_warehouse(request.user, data["warehouse"]),
            counts=_lines(data["lines"]),
            note=data["note"],
        )
        return self._render(document, status.HTTP_201_CREATED)


@extend_schema(tags=["dispatch"])
class ReturnReceiptViewSet(ScopedReadViewSet):
    """Return receipts (退货入库): returned goods back on hand."""

    serializer_class = ReturnReceiptSerializer
    selector = selectors.return_receipt_list
    required_permissions = {
        "list": ["dispatch.view_returnreceipt"],
        "retrieve": ["dispatch.view_returnreceipt"],
        "create": ["dispatch.add_returnreceipt"],
    }

    @extend_schema(request=ReturnReceiptInput, responses={201: ReturnReceiptSerializer})
    @idempotent
    def create(self, request):
        data = _valid(ReturnReceiptInput, request.data)
        document = services.return_receipt_record(
            actor=request.user,
            warehouse=_warehouse(request.user, data["warehouse"]),
            order_no=data["order_no"],
            lines=_lines(data["lines"]),
            note=data["note"],
        )
        return self._render(document, status.HTTP_201_CREATED)


@extend_schema(tags=["dispatch"])
class StockSnapshotViewSet(ScopedReadViewSet):
    """Stock snapshots reported by warehouses (JSON lines or a CSV file) and their review."""

    serializer_class = StockSnapshotSerializer
    selector = selectors.stock_snapshot_list
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    required_permissions = {
        "list": ["dispatch.view_stocksnapshot"],
        "retrieve": ["dispatch.view_stocksnapshot"],
        "create": ["dispatch.add_stocksnapshot"],
        "reconcile": ["dispatch.change_stocksnapshot"],
        "review": ["dispatch.change_stocksnapshot"],
    }

    @extend_schema(request=StockSnapshotInput, responses={201: StockSnapshotSerializer})
    @idempotent
    def create(self, request):
        data = _valid(StockSnapshotInput, request.data)
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
        return self._render(document, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=StockSnapshotSerializer)
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        """Reconcile now instead of waiting for the hourly job."""
        document = services.stock_snapshot_reconcile(
            actor=request.user, snapshot_doc=self.get_object()
        )
        return self._render(document)

    @extend_schema(request=SnapshotReviewInput, responses=StockSnapshotSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Accept (book) or reject one line held for review."""
        data = _valid(SnapshotReviewInput, request.data)
        document = self.get_object()
        line = document.lines.filter(pk=data["line"]).first()
        if line is None:
            raise InvalidDispatchInput(fields={"line": [_("No such line in this snapshot.")]})
        services.stock_snapshot_line_review(actor=request.user, line=line, accept=data["accept"])
        return self._render(document)
