"""Input validation and output shapes of the catalog API (no rules here)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import (
    Category,
    CategoryChangeRequest,
    Product,
    ProductEvent,
    ProductImage,
    ProductImport,
    PromotionPrice,
    Sku,
    SkuPriceChange,
)

MAX_ID = 2**31 - 1
MAX_MONEY = Decimal("999999999999.99")


def IdField(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def MoneyInput(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), max_value=MAX_MONEY, **kwargs
    )


class Text(serializers.CharField):
    """A ``CharField`` that refuses numbers and booleans: the schema says string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


# --- output ----------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "level", "parent", "sort_order", "is_active"]


class SkuSerializer(serializers.ModelSerializer):
    spec = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = Sku
        fields = [
            "id",
            "product",
            "code",
            "spec",
            "price_amount",
            "cost_amount",
            "weight_grams",
            "is_available",
            "sort_order",
        ]


class ProductImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "alt_text", "sort_order"]

    def get_url(self, image: ProductImage) -> str:
        return image.image.url if image.image else ""


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    owner_name = serializers.SerializerMethodField()
    author_name = serializers.SerializerMethodField()
    skus = SkuSerializer(many=True, read_only=True)
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "code",
            "title",
            "subtitle",
            "description",
            "category",
            "category_name",
            "brand",
            "owner",
            "owner_name",
            "created_by",
            "author_name",
            "status",
            "is_virtual",
            "is_presale",
            "presale_deposit_amount",
            "presale_final_payment_starts_at",
            "presale_final_payment_ends_at",
            "presale_ship_date",
            "scheduled_listing_at",
            "review_round",
            "submitted_at",
            "listed_at",
            "created_at",
            "updated_at",
            "skus",
            "images",
        ]

    def get_owner_name(self, product: Product) -> str:
        return user_name(product.owner)

    def get_author_name(self, product: Product) -> str:
        return user_name(product.created_by)


class ProductEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    at = serializers.DateTimeField(source="created_at")
    kind = serializers.CharField(help_text="created, updated, submitted, approved, rejected, …")

    class Meta:
        model = ProductEvent
        fields = [
            "id",
            "kind",
            "from_status",
            "to_status",
            "review_round",
            "actor",
            "actor_name",
            "reason",
            "data",
            "at",
        ]

    def get_actor_name(self, event: ProductEvent) -> str:
        return user_name(event.actor)


class PriceChangeSerializer(serializers.ModelSerializer):
    changed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = SkuPriceChange
        fields = [
            "id",
            "old_price_amount",
            "new_price_amount",
            "changed_by",
            "changed_by_name",
            "changed_at",
            "reason",
        ]

    def get_changed_by_name(self, change: SkuPriceChange) -> str:
        return user_name(change.changed_by)


class PromotionSerializer(serializers.ModelSerializer):
    sku_code = serializers.CharField(source="sku.code", read_only=True)

    class Meta:
        model = PromotionPrice
        fields = [
            "id",
            "sku",
            "sku_code",
            "price_amount",
            "reference_price_amount",
            "starts_at",
            "ends_at",
            "status",
            "note",
            "created_by",
            "created_at",
        ]


class CategoryChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CategoryChangeRequest
        fields = [
            "id",
            "kind",
            "category",
            "payload",
            "reason",
            "status",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class ProductImportSerializer(serializers.ModelSerializer):
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImport
        fields = [
            "id",
            "file_name",
            "status",
            "row_count",
            "error_count",
            "summary",
            "errors",
            "report_url",
            "created_at",
        ]

    def get_report_url(self, record: ProductImport) -> str:
        if not record.report:
            return ""
        return f"/api/v1/catalog/imports/{record.pk}/report/"


class BulkShelfResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField())
    failed = serializers.DictField(child=serializers.CharField())


class ComplianceSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    problems = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


# --- input -----------------------------------------------------------------------------


class SkuInput(serializers.Serializer):
    code = Text(max_length=40)
    price_amount = MoneyInput()
    cost_amount = MoneyInput(required=False, default=Decimal("0"))
    spec = serializers.DictField(
        child=Text(max_length=60, allow_blank=True), required=False, default=dict
    )
    weight_grams = serializers.IntegerField(
        min_value=0, max_value=10_000_000, required=False, default=0
    )
    is_available = serializers.BooleanField(required=False, default=True)
    sort_order = serializers.IntegerField(
        min_value=-10000, max_value=10000, required=False, default=0
    )


class SkuUpdateInput(serializers.Serializer):
    price_amount = MoneyInput(required=False)
    cost_amount = MoneyInput(required=False)
    spec = serializers.DictField(child=Text(max_length=60, allow_blank=True), required=False)
    weight_grams = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    is_available = serializers.BooleanField(required=False)
    sort_order = serializers.IntegerField(min_value=-10000, max_value=10000, required=False)
    reason = Text(max_length=200, required=False, allow_blank=True, default="")


class _ProductFieldsInput(serializers.Serializer):
    subtitle = Text(max_length=200, required=False, allow_blank=True)
    description = Text(max_length=20000, required=False, allow_blank=True)
    brand = Text(max_length=80, required=False, allow_blank=True)
    owner = IdField(required=False, allow_null=True)
    is_virtual = serializers.BooleanField(required=False)
    is_presale = serializers.BooleanField(required=False)
    presale_deposit_amount = MoneyInput(required=False, allow_null=True)
    presale_final_payment_starts_at = serializers.DateTimeField(required=False, allow_null=True)
    presale_final_payment_ends_at = serializers.DateTimeField(required=False, allow_null=True)
    presale_ship_date = serializers.DateField(required=False, allow_null=True)


class ProductCreateInput(_ProductFieldsInput):
    code = Text(max_length=40)
    title = Text(max_length=120)
    category = IdField()
    skus = SkuInput(many=True, required=False, default=list)

    def validate_skus(self, value):
        if len(value) > 200:
            raise serializers.ValidationError(_("At most 200 SKUs."))
        return value


class ProductUpdateInput(_ProductFieldsInput):
    title = Text(max_length=120, required=False)
    category = IdField(required=False)


class ApproveInput(serializers.Serializer):
    note = Text(max_length=500, required=False, allow_blank=True, default="")
    scheduled_listing_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ReasonInput(serializers.Serializer):
    reason = Text(max_length=500)


class OptionalReasonInput(serializers.Serializer):
    reason = Text(max_length=500, required=False, allow_blank=True, default="")


class ScheduleInput(serializers.Serializer):
    listing_at = serializers.DateTimeField(allow_null=True)


class BulkShelfInput(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=200)
    action = serializers.ChoiceField(choices=[("on_shelf", "on_shelf"), ("off_shelf", "off_shelf")])
    reason = Text(max_length=500, required=False, allow_blank=True, default="")


class ImageInput(serializers.Serializer):
    image = serializers.FileField()
    alt_text = Text(max_length=120, required=False, allow_blank=True, default="")


class PromotionInput(serializers.Serializer):
    sku = IdField()
    price_amount = MoneyInput()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    note = Text(max_length=200, required=False, allow_blank=True, default="")


class CategoryPayloadInput(serializers.Serializer):
    code = Text(max_length=40, required=False)
    name = Text(max_length=60, required=False)
    parent_id = IdField(required=False, allow_null=True)
    sort_order = serializers.IntegerField(min_value=-10000, max_value=10000, required=False)


class CategoryChangeInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CategoryChangeRequest.Kind.choices)
    category = IdField(required=False, allow_null=True)
    payload = CategoryPayloadInput(required=False, default=dict)
    reason = Text(max_length=500, required=False, allow_blank=True, default="")


class DecisionInput(serializers.Serializer):
    note = Text(max_length=500, required=False, allow_blank=True, default="")


class ImportInput(serializers.Serializer):
    file = serializers.FileField()


# --- storefront ------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "name": {"type": "string"},
                "level": {"type": "integer"},
                "icon": {"type": "string"},
                "children": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["id", "code", "name", "level", "children"],
        },
    }
)
class CategoryTreeField(serializers.ListField):
    pass


class StoreCategoryTreeSerializer(serializers.Serializer):
    results = CategoryTreeField()


class StoreSkuSerializer(serializers.Serializer):
    code = Text()
    spec = serializers.DictField(child=Text())
    price = Text()
    list_price = Text()
    available = serializers.BooleanField()


class StoreProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = Text()
    title = Text()
    subtitle = Text()
    brand = Text()
    category = serializers.IntegerField(source="category_id")
    category_name = Text(source="category.name")
    image = serializers.SerializerMethodField()
    price_from = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()
    is_presale = serializers.BooleanField()
    is_virtual = serializers.BooleanField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_image(self, product: Product) -> str:
        images = list(product.images.all())
        return images[0].image.url if images else ""

    def _skus(self, product: Product) -> list[dict]:
        return [self.context["sku_view"](sku) for sku in product.skus.all()]

    @extend_schema_field(OpenApiTypes.STR)
    def get_price_from(self, product: Product) -> str:
        prices = [Decimal(sku["price"]) for sku in self._skus(product)]
        return f"{min(prices):.2f}" if prices else ""

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_available(self, product: Product) -> bool:
        return any(sku["available"] for sku in self._skus(product))


class StoreProductDetailSerializer(StoreProductSerializer):
    description = Text()
    images = serializers.SerializerMethodField()
    skus = serializers.SerializerMethodField()
    presale_deposit_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True
    )
    presale_final_payment_starts_at = serializers.DateTimeField(allow_null=True)
    presale_final_payment_ends_at = serializers.DateTimeField(allow_null=True)
    presale_ship_date = serializers.DateField(allow_null=True)

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_images(self, product: Product) -> list[str]:
        return [image.image.url for image in product.images.all()]

    @extend_schema_field(StoreSkuSerializer(many=True))
    def get_skus(self, product: Product) -> list[dict]:
        return self._skus(product)
