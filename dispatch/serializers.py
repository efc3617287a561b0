"""Input validation and output shapes of the dispatch API (no rules here)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .inputs import MAX_LINE_QUANTITY
from .models import (
    Allocation,
    Carrier,
    PurchaseInbound,
    ReturnReceipt,
    Shipment,
    ShipmentLine,
    Stock,
    StockMovement,
    StockSnapshot,
    StockSnapshotLine,
    Stocktake,
    TrackingEvent,
    Transfer,
    Warehouse,
)

MAX_ID = 2**31 - 1
MAX_QUANTITY = MAX_LINE_QUANTITY


def IdField(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- output ----------------------------------------------------------------------------


class WarehouseSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = Warehouse
        fields = [
            "id",
            "code",
            "name",
            "type",
            "region",
            "address",
            "contact_name",
            "contact_phone",
            "is_active",
        ]


class CarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Carrier
        fields = ["id", "code", "name", "tracking_url", "is_active"]


class StockSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    sku = serializers.CharField(source="sku.code", read_only=True)
    sellable = serializers.IntegerField(read_only=True)

    class Meta:
        model = Stock
        fields = [
            "id",
            "warehouse",
            "sku",
            "on_hand",
            "reserved",
            "in_transit",
            "safety_stock",
            "sellable",
            "updated_at",
        ]


class StockMovementSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="stock.warehouse.code", read_only=True)
    sku = serializers.CharField(source="stock.sku.code", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "warehouse",
            "sku",
            "kind",
            "on_hand_delta",
            "reserved_delta",
            "in_transit_delta",
            "reference_type",
            "reference_no",
            "actor",
            "note",
            "created_at",
        ]


class ShipmentLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["sku", "quantity"]


class TrackingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["id", "occurred_at", "location", "description", "is_delivered"]


class ShipmentSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    carrier = serializers.CharField(source="carrier.code", read_only=True, allow_null=True)
    shipping_fee_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, coerce_to_string=True
    )
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "shipment_no",
            "order_no",
            "warehouse",
            "carrier",
            "is_supplier_order",
            "status",
            "promised_days",
            "shipping_fee_amount",
            "waybill_no",
            "shipped_at",
            "delivered_at",
            "last_event_at",
            "is_stale",
            "lines",
        ]


class ShipmentDetailSerializer(ShipmentSerializer):
    events = TrackingEventSerializer(many=True, read_only=True)

    class Meta(ShipmentSerializer.Meta):
        fields = [*ShipmentSerializer.Meta.fields, "events"]


class AllocationSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province.name", read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "order_no",
            "province",
            "status",
            "promised_delivery_date",
            "released_reason",
            "created_at",
            "shipments",
        ]


class DocumentLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="sku.code", read_only=True)
    quantity = serializers.IntegerField(read_only=True)


class PurchaseInboundSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    lines = DocumentLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseInbound
        fields = [
            "id",
            "document_no",
            "warehouse",
            "supplier_name",
            "status",
            "arrived_at",
            "note",
            "created_at",
            "lines",
        ]


class TransferSerializer(serializers.ModelSerializer):
    from_warehouse = serializers.CharField(source="from_warehouse.code", read_only=True)
    to_warehouse = serializers.CharField(source="to_warehouse.code", read_only=True)
    lines = DocumentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "document_no",
            "from_warehouse",
            "to_warehouse",
            "status",
            "received_at",
            "note",
            "created_at",
            "lines",
        ]


class StocktakeLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="sku.code", read_only=True)
    counted = serializers.IntegerField(read_only=True)
    book_quantity = serializers.IntegerField(read_only=True)
    difference = serializers.IntegerField(read_only=True)


class StocktakeSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    lines = StocktakeLineSerializer(many=True, read_only=True)

    class Meta:
        model = Stocktake
        fields = ["id", "document_no", "warehouse", "note", "created_at", "lines"]


class ReturnReceiptSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    lines = DocumentLineSerializer(many=True, read_only=True)

    class Meta:
        model = ReturnReceipt
        fields = ["id", "document_no", "warehouse", "order_no", "note", "created_at", "lines"]


class StockSnapshotLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code", read_only=True)

    class Meta:
        model = StockSnapshotLine
        fields = ["id", "sku", "reported_on_hand", "book_on_hand", "difference", "status"]


class StockSnapshotSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    lines = StockSnapshotLineSerializer(many=True, read_only=True)

    class Meta:
        model = StockSnapshot
        fields = [
            "id",
            "document_no",
            "warehouse",
            "taken_at",
            "source",
            "status",
            "reconciled_at",
            "note",
            "created_at",
            "lines",
        ]


class PlanLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class PlanShipmentSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    warehouse_name = serializers.CharField()
    is_supplier_order = serializers.BooleanField()
    carrier = serializers.CharField(allow_null=True)
    promised_days = serializers.IntegerField()
    tier = serializers.IntegerField()
    lines = PlanLineSerializer(many=True)


class PlanSerializer(serializers.Serializer):
    promised_delivery_date = serializers.DateField()
    is_split = serializers.BooleanField()
    shipments = PlanShipmentSerializer(many=True)


# --- input -----------------------------------------------------------------------------


class LineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class CountInput(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(
        min_value=0, max_value=MAX_QUANTITY, help_text=_("Units counted or reported on hand")
    )


class LinesField(serializers.ListField):
    def __init__(self, child=None, **kwargs):
        super().__init__(child=child or LineInput(), min_length=1, max_length=500, **kwargs)


class PredispatchInput(serializers.Serializer):
    province = serializers.CharField(max_length=40)
    lines = LinesField()


class PurchaseInboundInput(serializers.Serializer):
    warehouse = IdField()
    supplier_name = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    lines = LinesField()


class TransferInput(serializers.Serializer):
    from_warehouse = IdField()
    to_warehouse = IdField()
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    lines = LinesField()


class StocktakeInput(serializers.Serializer):
    warehouse = IdField()
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    lines = LinesField(child=CountInput())


class ReturnReceiptInput(serializers.Serializer):
    warehouse = IdField()
    order_no = serializers.CharField(max_length=40)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    lines = LinesField()


class StockSnapshotInput(serializers.Serializer):
    warehouse = IdField()
    taken_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    lines = LinesField(child=CountInput(), required=False)
    file = serializers.FileField(
        required=False, help_text=_("CSV with the columns sku,on_hand (instead of lines)")
    )

    def validate(self, attrs):
        if bool(attrs.get("lines")) == bool(attrs.get("file")):
            raise serializers.ValidationError(
                {"lines": [_("Send either lines or a file, not both or neither.")]}
            )
        return attrs


class SnapshotReviewInput(serializers.Serializer):
    line = IdField()
    accept = serializers.BooleanField()


class SafetyStockInput(serializers.Serializer):
    safety_stock = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)


class ShipInput(serializers.Serializer):
    waybill_no = serializers.CharField(max_length=64)
    carrier = serializers.SlugField(max_length=30, required=False, allow_null=True, default=None)


class TrackingEventInput(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    description = serializers.CharField(max_length=255)
    location = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    is_delivered = serializers.BooleanField(required=False, default=False)
