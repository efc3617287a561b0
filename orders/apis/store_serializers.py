"""Serializers of the storefront order endpoints (input shapes and the answers).

Money is a string with two decimals; times are ISO 8601 with offset.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Order, OrderEvent, OrderLine


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)


# --- input ----------------------------------------------------------------------------


class StoreOrderAddressInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)
    province = serializers.CharField(max_length=40)
    city = serializers.CharField(max_length=50)
    district = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    detail = serializers.CharField(max_length=200)


class StoreOrderLineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


class PlaceOrderInput(serializers.Serializer):
    address = StoreOrderAddressInput(required=False)
    address_id = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    lines = StoreOrderLineInput(many=True, allow_empty=False, max_length=200)
    coupon_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )
    points = serializers.IntegerField(required=False, default=0, min_value=0, max_value=10**9)
    channel = serializers.CharField(required=False, default="own_store", max_length=30)
    buyer_note = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    # a flash order names its running session (docs/FLASH_SALE.md)
    flash_session = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )

    def validate(self, attrs):
        if ("address" in attrs) == ("address_id" in attrs):
            raise serializers.ValidationError(
                {"address": [_("Give a delivery address or an address_id, not both.")]}
            )
        return attrs


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class StoreOrderStepSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.CharField()


class StoreQuoteLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    title = serializers.CharField()
    spec = serializers.DictField(child=serializers.CharField())
    quantity = serializers.IntegerField()
    list_price = serializers.CharField()
    unit_price = serializers.CharField()
    is_promotion = serializers.BooleanField()
    line_amount = serializers.CharField()
    level_discount = serializers.CharField()
    coupon_discount = serializers.CharField()
    points_deduction = serializers.CharField()
    payable = serializers.CharField()


class StorePreviewCouponSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    discount_amount = serializers.CharField()


class StorePreviewPointsSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    max_points = serializers.IntegerField()
    deduction_amount = serializers.CharField()


class StorePreviewShippingSerializer(serializers.Serializer):
    fee_amount = serializers.CharField()
    discount_amount = serializers.CharField()
    free_reason = serializers.CharField()


class StorePlannedLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class StorePlannedShipmentSerializer(serializers.Serializer):
    warehouse_name = serializers.CharField()
    promised_days = serializers.IntegerField()
    lines = StorePlannedLineSerializer(many=True)


class PreviewSerializer(serializers.Serializer):
    items = StoreQuoteLineSerializer(many=True)
    steps = StoreOrderStepSerializer(many=True)
    goods_amount = serializers.CharField()
    level_discount_amount = serializers.CharField()
    coupon = StorePreviewCouponSerializer(allow_null=True)
    points = StorePreviewPointsSerializer()
    shipping = StorePreviewShippingSerializer()
    payable_amount = serializers.CharField()
    warehouses = StorePlannedShipmentSerializer(many=True)
    promised_delivery_date = serializers.DateField(allow_null=True)
    channel = serializers.CharField()


class StoreOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku_code")
    title = serializers.CharField(source="product_title")
    list_price = Money(source="list_price_amount")
    unit_price = Money(source="unit_price_amount")
    line_amount = Money()
    level_discount_amount = Money()
    coupon_discount_amount = Money()
    points_deduction_amount = Money()
    payable_amount = Money()
    refunded_amount = Money()

    class Meta:
        model = OrderLine
        fields = [
            "sku",
            "title",
            "spec",
            "is_virtual",
            "quantity",
            "list_price",
            "unit_price",
            "line_amount",
            "level_discount_amount",
            "coupon_discount_amount",
            "points_deduction_amount",
            "payable_amount",
            "refunded_quantity",
            "refunded_amount",
        ]


class StoreOrderShipmentSerializer(serializers.Serializer):
    shipment_no = serializers.CharField()
    status = serializers.CharField()
    carrier = serializers.CharField(source="carrier.name", default=None, allow_null=True)
    waybill_no = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class StoreOrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_kind")

    class Meta:
        model = OrderEvent
        fields = ["type", "from_status", "to_status", "actor", "at", "reason"]


ORDER_FIELDS = [
    "order_no",
    "status",
    "status_label",
    "channel",
    "is_virtual",
    "goods_amount",
    "level_discount_amount",
    "coupon_discount_amount",
    "points_deduction_amount",
    "points_used",
    "shipping_amount",
    "shipping_discount_amount",
    "payable_amount",
    "paid_amount",
    "refunded_amount",
    "promised_delivery_date",
    "created_at",
    "expires_at",
    "paid_at",
    "cancelled_at",
    "cancel_reason",
    "amount_due",
    "presale",
    "lines",
]


class StorePresaleSerializer(serializers.Serializer):
    """A presale order's two payments (docs/PRESALE.md): the deposit, then the rest in
    the final-payment window; shipped from the ship date."""

    deposit_amount = Money()
    final_amount = Money(help_text="total − deposit, paid in the final-payment window")
    deposit_paid_at = serializers.DateTimeField(allow_null=True)
    final_payment_starts_at = serializers.DateTimeField(allow_null=True)
    final_payment_ends_at = serializers.DateTimeField(allow_null=True)
    final_payment_open = serializers.BooleanField(
        help_text="the deposit is paid and the final-payment window is open now"
    )
    ship_date = serializers.DateField(allow_null=True)


class PlacedOrderSerializer(serializers.ModelSerializer):
    """The answer of placement (no personal data: it is kept for idempotent replays)."""

    status = serializers.CharField(help_text="pending_payment, paid, pending_review, …")
    status_label = serializers.CharField(source="get_status_display")
    channel = serializers.CharField(source="channel.code")
    goods_amount = Money()
    level_discount_amount = Money()
    coupon_discount_amount = Money()
    points_deduction_amount = Money()
    shipping_amount = Money()
    shipping_discount_amount = Money()
    payable_amount = Money(source="total_amount")
    paid_amount = Money()
    refunded_amount = Money()
    amount_due = serializers.SerializerMethodField(
        help_text="what the next payment must be (a presale: the deposit, then the rest)"
    )
    presale = serializers.SerializerMethodField()
    lines = StoreOrderLineSerializer(many=True)
    steps = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [*ORDER_FIELDS, "steps"]

    def get_amount_due(self, order) -> str:
        from ..services.payment import order_amount_due

        return f"{order_amount_due(order=order):.2f}"

    @extend_schema_field(StorePresaleSerializer(allow_null=True))
    def get_presale(self, order) -> dict | None:
        from ..promotions.presale import presale_final_window_open

        if not order.is_presale:
            return None
        return StorePresaleSerializer(
            {
                "deposit_amount": order.deposit_amount,
                "final_amount": order.total_amount - order.deposit_amount,
                "deposit_paid_at": order.deposit_paid_at,
                "final_payment_starts_at": order.final_payment_starts_at,
                "final_payment_ends_at": order.final_payment_ends_at,
                "final_payment_open": order.status == Order.Status.DEPOSIT_PAID
                and presale_final_window_open(order=order),
                "ship_date": order.presale_ship_date,
            }
        ).data

    def get_steps(self, order) -> list[dict[str, str]]:
        return list((order.pricing or {}).get("steps", []))


class StoreOrderAddressSerializer(serializers.Serializer):
    name = serializers.CharField(source="recipient")
    phone = serializers.CharField()
    province = serializers.CharField(source="province.name")
    city = serializers.CharField()
    district = serializers.CharField()
    detail = serializers.CharField()


class StoreOrderSerializer(PlacedOrderSerializer):
    """An order of the member's list: with its shipments."""

    shipments = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [*ORDER_FIELDS, "steps", "shipments"]

    def get_shipments(self, order) -> list[dict]:
        shipments = self.context.get("shipments", {}).get(order.order_no, [])
        return StoreOrderShipmentSerializer(shipments, many=True).data


class StoreOrderDetailSerializer(StoreOrderSerializer):
    """One order of the member: address (their own data, unmasked) and timeline."""

    address = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [*ORDER_FIELDS, "steps", "shipments", "address", "buyer_note", "events"]

    def get_address(self, order) -> dict[str, str]:
        return StoreOrderAddressSerializer(order).data

    def get_events(self, order) -> list[dict]:
        return StoreOrderEventSerializer(self.context.get("events", []), many=True).data
