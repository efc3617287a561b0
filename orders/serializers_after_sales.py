"""Serializers of the after-sales and review endpoints (storefront and staff).

Input serializers only check shapes; the rules live in ``orders.services.after_sales``
and ``orders.services.reviews``. Money is rendered as strings with two decimals.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from mall.core.masking import mask_name, mask_phone
from mall.core.people import person_name

from .models import AfterSale, AfterSaleEvent, AfterSaleLine, Review

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


# --- inputs ---------------------------------------------------------------------------


class AfterSaleLineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=10000)


class AfterSaleRequestInput(serializers.Serializer):
    # Plain strings checked below (not ChoiceFields): the codes are listed in the help
    # text, and the schema keeps one enum per model field (no clashing enum names).
    type = serializers.CharField(max_length=20, help_text="refund_only | return_refund | exchange")
    lines = AfterSaleLineInput(many=True, allow_empty=False, max_length=200)
    reason = serializers.CharField(
        max_length=20,
        help_text="no_reason | quality | wrong_item | damaged | not_received | "
        "not_as_described | other",
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )

    def validate_type(self, value):
        if value not in AfterSale.Kind.values:
            raise serializers.ValidationError(_("Choose refund only, return or exchange."))
        return value

    def validate_reason(self, value):
        if value not in AfterSale.Reason.values or value == AfterSale.Reason.CANCELLED_ORDER:
            raise serializers.ValidationError(_("Choose a reason from the list."))
        return value


class AfterSaleReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ReviewShowInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AfterSaleApproveInput(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AfterSalePlanInput(serializers.Serializer):
    plan = serializers.CharField(max_length=500)
    approve = serializers.BooleanField()


class AfterSaleReceiveInput(serializers.Serializer):
    warehouse = serializers.CharField(max_length=20)
    lines = AfterSaleLineInput(many=True, required=False, allow_empty=False, max_length=200)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AfterSaleEmptyInput(serializers.Serializer):
    pass


class ProductReviewInput(serializers.Serializer):
    sku = serializers.CharField(max_length=40, required=False)
    line_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    def validate(self, data):
        if ("sku" in data) == ("line_id" in data):
            raise serializers.ValidationError({"sku": [_("Give either sku or line_id.")]})
        return data


class ProductReviewReplyInput(serializers.Serializer):
    text = serializers.CharField(max_length=1000)


# --- outputs --------------------------------------------------------------------------


class AfterSaleLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.sku_code")
    product_title = serializers.CharField(source="order_line.product_title")
    amount = serializers.DecimalField(**MONEY)

    class Meta:
        model = AfterSaleLine
        fields = ["sku", "product_title", "quantity", "amount"]


class AfterSaleEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AfterSaleEvent
        fields = ["type", "from_status", "to_status", "actor", "at", "reason"]

    def get_actor(self, event) -> str:
        if event.actor_user_id:
            return person_name(event.actor_user)
        return event.actor_kind


class StoreAfterSaleSerializer(serializers.ModelSerializer):
    """A case as its member sees it (no staff names)."""

    order_no = serializers.CharField(source="order.order_no")
    type = serializers.CharField(source="kind")
    status = serializers.CharField()
    reason = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    requested_amount = serializers.DecimalField(**MONEY)
    approved_amount = serializers.DecimalField(**MONEY)
    refunded_amount = serializers.DecimalField(**MONEY)
    lines = AfterSaleLineSerializer(many=True)

    class Meta:
        model = AfterSale
        fields = [
            "case_no",
            "order_no",
            "type",
            "status",
            "status_label",
            "reason",
            "description",
            "requested_amount",
            "approved_amount",
            "refunded_amount",
            "decision_reason",
            "dispute_plan",
            "lines",
            "created_at",
            "completed_at",
        ]


class StoreAfterSaleEventSerializer(serializers.ModelSerializer):
    actor_kind = serializers.CharField()

    class Meta:
        model = AfterSaleEvent
        fields = ["type", "from_status", "to_status", "actor_kind", "at"]


class StoreAfterSaleDetailSerializer(StoreAfterSaleSerializer):
    events = StoreAfterSaleEventSerializer(many=True)

    class Meta(StoreAfterSaleSerializer.Meta):
        fields = [*StoreAfterSaleSerializer.Meta.fields, "events"]


class AfterSaleSerializer(serializers.ModelSerializer):
    """A case in the staff list."""

    order_no = serializers.CharField(source="order.order_no")
    kind = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    region = serializers.CharField(source="region.code")
    channel = serializers.CharField(source="channel.code")
    status_label = serializers.CharField(source="get_status_display")
    requested_amount = serializers.DecimalField(**MONEY)
    approved_amount = serializers.DecimalField(**MONEY)
    refunded_amount = serializers.DecimalField(**MONEY)
    handler = serializers.SerializerMethodField()
    lines = AfterSaleLineSerializer(many=True)

    class Meta:
        model = AfterSale
        fields = [
            "id",
            "case_no",
            "order_no",
            "kind",
            "status",
            "status_label",
            "reason",
            "description",
            "region",
            "channel",
            "requested_amount",
            "approved_amount",
            "refunded_amount",
            "handler",
            "decision_reason",
            "dispute_plan",
            "lines",
            "created_at",
            "reviewed_at",
            "received_at",
            "refunded_at",
            "completed_at",
        ]

    def get_handler(self, case) -> str:
        return person_name(case.handler) if case.handler_id else ""


class AfterSaleDetailSerializer(AfterSaleSerializer):
    """A case with its timeline (oldest first) and evidence images."""

    events = AfterSaleEventSerializer(many=True)
    images = serializers.SerializerMethodField()

    class Meta(AfterSaleSerializer.Meta):
        fields = [*AfterSaleSerializer.Meta.fields, "events", "images"]

    def get_images(self, case) -> list[str]:
        return [image.image.url for image in case.images.all()]


def reviewer_label(member) -> str:
    """A reviewer as the public sees them: a masked name, else a masked phone."""
    name = member.name if member.name_encrypted else ""
    return mask_name(name) if name else mask_phone(member.phone)


class PublicProductReviewSerializer(serializers.ModelSerializer):
    """A shown review in the shop: no member id, the reviewer masked."""

    reviewer = serializers.SerializerMethodField()
    spec = serializers.JSONField(source="line.spec")
    images = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "rating", "text", "reviewer", "spec", "images", "reply_text", "created_at"]

    def get_reviewer(self, review) -> str:
        return reviewer_label(review.member)

    def get_images(self, review) -> list[str]:
        return [image.image.url for image in review.images.all()]


class StoreProductReviewSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="line.sku_code")
    order_no = serializers.CharField(source="order.order_no")
    status = serializers.CharField()

    class Meta:
        model = Review
        fields = ["id", "order_no", "sku", "rating", "text", "status", "has_photos", "created_at"]


class ProductReviewSerializer(serializers.ModelSerializer):
    """A review in the staff list."""

    order_no = serializers.CharField(source="order.order_no")
    sku = serializers.CharField(source="line.sku_code")
    product_title = serializers.CharField(source="line.product_title")
    region = serializers.CharField(source="region.code")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    reviewer = serializers.SerializerMethodField()
    replied_by = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "order_no",
            "sku",
            "product_title",
            "product",
            "region",
            "rating",
            "text",
            "status",
            "status_label",
            "hidden_reason",
            "has_photos",
            "reviewer",
            "reply_text",
            "replied_by",
            "replied_at",
            "created_at",
        ]

    def get_reviewer(self, review) -> str:
        return reviewer_label(review.member)

    def get_replied_by(self, review) -> str:
        return person_name(review.replied_by) if review.replied_by_id else ""
