"""Serializers of the staff order endpoints (``orders/apis/staff_orders.py``).

Personal data: ``member_phone`` is a kernel :class:`~mall.core.api.MaskedField`
(masked unless ``members.view_member_pii``); the recipient, their phone and the
street are :class:`OrderPiiField` (masked unless ``orders.view_order_pii``, through a
second policy the viewset puts in the context as ``order_pii_policy``). Money is a
string with two decimals.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from mall.core.api import MaskedField
from mall.core.masking import PiiPolicy

from ..models import Order, OrderEvent, OrderLine


def Money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class OrderPiiField(MaskedField):
    """Personal data of the order itself: masked unless ``orders.view_order_pii``."""

    def to_representation(self, value):
        instance, raw = value
        policy: PiiPolicy | None = self.context.get("order_pii_policy")
        if policy is None:
            policy = PiiPolicy(None)
        return policy.value(instance, self.source or self.field_name, raw, self.kind)


try:  # describe OrderPiiField as a string in the OpenAPI schema (as the kernel's MaskedField)
    from drf_spectacular.extensions import OpenApiSerializerFieldExtension

    class OrderPiiFieldExtension(OpenApiSerializerFieldExtension):
        target_class = "orders.apis.staff_serializers.OrderPiiField"

        def map_serializer_field(self, auto_schema, direction):
            return {"type": "string", "nullable": True, "readOnly": True}

except ImportError:  # pragma: no cover
    pass


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku_code", read_only=True)
    unit_price = Money(source="unit_price_amount")
    line_amount = Money()
    payable_amount = Money()
    refunded_amount = Money()

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku",
            "product_title",
            "spec",
            "quantity",
            "is_virtual",
            "unit_price",
            "line_amount",
            "payable_amount",
            "refunded_quantity",
            "refunded_amount",
        ]
        read_only_fields = fields


class PackingLineSerializer(OrderLineSerializer):
    """A line of the packing list: the order it belongs to beside the line."""

    order_no = serializers.CharField(source="order.order_no", read_only=True)

    class Meta(OrderLineSerializer.Meta):
        fields = ["order_no", *OrderLineSerializer.Meta.fields]
        read_only_fields = fields


class OrderShipmentSerializer(serializers.Serializer):
    """A parcel of the order (dispatch's shipment), as embedded in the order."""

    id = serializers.IntegerField(source="pk")
    shipment_no = serializers.CharField()
    warehouse = serializers.CharField(source="warehouse.code")
    carrier = serializers.CharField(source="carrier.code", allow_null=True, default=None)
    status = serializers.CharField()
    waybill_no = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    lines = serializers.SerializerMethodField()

    def get_lines(self, shipment) -> list[dict]:
        return [{"sku": line.sku.code, "quantity": line.quantity} for line in shipment.lines.all()]


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["type", "from_status", "to_status", "actor", "actor_kind", "at", "reason"]
        read_only_fields = fields


class StaffOrderSerializer(serializers.ModelSerializer):
    """An order in the staff list (API.md "Staff")."""

    region = serializers.CharField(source="region.code", read_only=True)
    province = serializers.CharField(source="province.name", read_only=True)
    channel = serializers.CharField(source="channel.code", read_only=True)
    # A plain string in the schema (its values: Order.Status; the label beside it).
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    member_phone = MaskedField(kind="phone", source="member.phone")
    recipient = OrderPiiField(kind="name")
    recipient_phone = OrderPiiField(kind="phone", source="phone")
    detail = OrderPiiField(kind="address")
    goods_amount = Money()
    shipping_amount = Money()
    total_amount = Money()
    paid_amount = Money()
    refunded_amount = Money()
    lines = OrderLineSerializer(many=True, read_only=True)
    shipments = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "order_no",
            "status",
            "status_label",
            "region",
            "province",
            "city",
            "district",
            "channel",
            "member_id",
            "member_phone",
            "recipient",
            "recipient_phone",
            "detail",
            "is_virtual",
            "is_frozen",
            "frozen_reason",
            "is_review_held",
            "review_hold_reason",
            "needs_second_review",
            "goods_amount",
            "shipping_amount",
            "total_amount",
            "paid_amount",
            "refunded_amount",
            "created_at",
            "paid_at",
            "reviewed_at",
            "shipped_at",
            "delivered_at",
            "completed_at",
            "lines",
            "shipments",
        ]
        read_only_fields = fields

    def get_shipments(self, order) -> list[dict]:
        found = (self.context.get("shipments") or {}).get(order.order_no, [])
        return OrderShipmentSerializer(found, many=True).data


class VirtualCodeSerializer(serializers.Serializer):
    """A virtual goods code, always masked here (``reveal-code`` shows one, audited)."""

    id = serializers.IntegerField(source="pk")
    sku = serializers.CharField(source="line.sku_code")
    status = serializers.CharField()
    code = serializers.SerializerMethodField()
    redeemed_at = serializers.DateTimeField(allow_null=True)

    def get_code(self, code) -> str:
        from ..services.virtual_goods import virtual_code_masked

        return virtual_code_masked(actor=None, code=code)


class StaffOrderDetailSerializer(StaffOrderSerializer):
    """One order with its timeline, oldest first (``events`` from the context), and its
    virtual goods codes, masked (``virtual_codes`` from the context)."""

    events = serializers.SerializerMethodField()
    virtual_codes = serializers.SerializerMethodField()

    class Meta(StaffOrderSerializer.Meta):
        fields = [*StaffOrderSerializer.Meta.fields, "events", "virtual_codes"]
        read_only_fields = fields

    def get_events(self, order) -> list[dict]:
        return OrderEventSerializer(self.context.get("events") or [], many=True).data

    def get_virtual_codes(self, order) -> list[dict]:
        return VirtualCodeSerializer(self.context.get("virtual_codes") or [], many=True).data


# --- inputs ------------------------------------------------------------------------------


class OrderNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OrderReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class OrderRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class OrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OrderWaybillInput(serializers.Serializer):
    shipment = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    waybill_no = serializers.CharField(max_length=64)
    carrier = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class OrderShipInput(serializers.Serializer):
    waybills = OrderWaybillInput(many=True, required=False, default=list)

    def validate_waybills(self, value):
        seen = [item["shipment"] for item in value]
        if len(seen) != len(set(seen)):
            raise serializers.ValidationError(_("Each shipment once."))
        return value


class OrderBatchInput(serializers.Serializer):
    order_nos = serializers.ListField(
        child=serializers.CharField(max_length=24), min_length=1, max_length=200
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OrderBatchResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.CharField(), help_text="order numbers done")
    failed = serializers.DictField(
        child=serializers.CharField(), help_text="order number → why it failed"
    )


class OrderRevealCodeInput(serializers.Serializer):
    code = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="code id")
    purpose = serializers.ChoiceField(choices=["reveal", "copy"], default="reveal")


class RevealedCodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
