"""Serializers of the members API: input validation and output shapes only (no rules)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from mall.core.api import MaskedField, parse_pk

from .levels import level_thresholds
from .models import (
    Address,
    Coupon,
    CouponTemplate,
    GrowthEntry,
    Level,
    Member,
    NotificationKind,
    PointsEntry,
    PointsLot,
    SmsCode,
)
from .selectors import member_opt_outs

MAX_ID = 2**63 - 1  # the largest id a bigint primary key holds

# --- shared ---------------------------------------------------------------------------


class LevelSerializer(serializers.ModelSerializer):
    threshold = serializers.SerializerMethodField()

    class Meta:
        model = Level
        fields = [
            "id",
            "rank",
            "code",
            "name",
            "discount_rate",
            "free_shipping",
            "birthday_coupon",
            "birthday_points",
            "threshold",
        ]
        read_only_fields = ["id", "rank", "code", "threshold"]

    def get_threshold(self, level: Level) -> int:
        thresholds = self.context.setdefault("_thresholds", None) or level_thresholds()
        self.context["_thresholds"] = thresholds
        return thresholds.get(level.rank, 0)


class LevelBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Level
        fields = ["rank", "code", "name", "discount_rate", "free_shipping"]


class CouponTemplateBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CouponTemplate
        fields = [
            "id",
            "name",
            "kind",
            "discount_amount",
            "threshold_amount",
            "discount_rate",
            "max_discount_amount",
        ]


class CouponSerializer(serializers.ModelSerializer):
    template = CouponTemplateBriefSerializer(read_only=True)

    class Meta:
        model = Coupon
        fields = [
            "id",
            "template",
            "status",
            "source",
            "valid_from",
            "valid_until",
            "order_no",
            "claimed_at",
            "used_at",
        ]


class PointsEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = ["id", "reason", "reference", "points", "balance_after", "note", "created_at"]


class PointsLotSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointsLot
        fields = ["id", "reason", "points", "remaining", "earned_at", "expires_at"]


class GrowthEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = GrowthEntry
        fields = ["id", "reason", "reference", "amount", "balance_after", "note", "created_at"]


# --- storefront -----------------------------------------------------------------------


class CredentialsSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    """The member's own data, unmasked (it is theirs)."""

    phone = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    level = LevelBriefSerializer(read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    opt_outs = serializers.SerializerMethodField()
    registered_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "phone",
            "name",
            "gender",
            "birthday",
            "channel",
            "is_real_name_verified",
            "level",
            "growth",
            "points_balance",
            "status",
            "region",
            "registered_at",
            "opt_outs",
        ]

    def get_opt_outs(self, member: Member) -> list[str]:
        return member_opt_outs(actor=member, member=member)


class MeUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    gender = serializers.ChoiceField(choices=Member.Gender.choices, required=False)
    birthday = serializers.DateField(required=False)
    opt_outs = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationKind.choices), required=False
    )


class AddressSerializer(serializers.ModelSerializer):
    """A member's own address (storefront): unmasked."""

    name = serializers.CharField(source="recipient", read_only=True)
    phone = serializers.CharField(read_only=True)
    province = serializers.CharField(source="province.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    detail = serializers.CharField(read_only=True)

    class Meta:
        model = Address
        fields = [
            "id",
            "name",
            "phone",
            "province",
            "region",
            "city",
            "district",
            "detail",
            "is_default",
        ]


class AddressInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)
    province = serializers.CharField(max_length=40)
    city = serializers.CharField(max_length=50)
    district = serializers.CharField(max_length=50, required=False, allow_blank=True)
    detail = serializers.CharField(max_length=200)
    is_default = serializers.BooleanField(required=False, default=False)


class AddressPatchSerializer(AddressInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["is_default"].default = serializers.empty


class SignInResultSerializer(serializers.Serializer):
    date = serializers.DateField()
    points = serializers.IntegerField()
    balance = serializers.IntegerField()


class ClaimableCouponTemplateSerializer(CouponTemplateBriefSerializer):
    remaining = serializers.SerializerMethodField()

    class Meta(CouponTemplateBriefSerializer.Meta):
        fields = [
            *CouponTemplateBriefSerializer.Meta.fields,
            "validity",
            "valid_from",
            "valid_until",
            "valid_days",
            "per_member_limit",
            "remaining",
        ]

    def get_remaining(self, template: CouponTemplate) -> int:
        return max(template.total_stock - template.issued_count, 0)


# --- staff ----------------------------------------------------------------------------


class StaffMemberSerializer(serializers.ModelSerializer):
    phone = MaskedField(kind="phone")
    name = MaskedField(kind="name")
    id_number = MaskedField(kind="id_number")
    level = serializers.CharField(source="level.code", read_only=True)
    region = serializers.SerializerMethodField()
    registered_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "phone",
            "name",
            "id_number",
            "gender",
            "birthday",
            "channel",
            "is_real_name_verified",
            "level",
            "growth",
            "points_balance",
            "status",
            "risk_mark",
            "region",
            "registered_at",
            "last_login_at",
        ]

    def get_region(self, member: Member) -> str | None:
        return member.region.code if member.region_id else None


class StaffAddressSerializer(serializers.ModelSerializer):
    name = MaskedField(kind="name", source="recipient")
    phone = MaskedField(kind="phone")
    detail = MaskedField(kind="address")
    province = serializers.CharField(source="province.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = Address
        fields = [
            "id",
            "member",
            "name",
            "phone",
            "province",
            "region",
            "city",
            "district",
            "detail",
            "is_default",
        ]


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Member.Status.choices)
    reason = serializers.CharField(max_length=200)


class AdjustSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000)
    reference = serializers.CharField(max_length=80)
    note = serializers.CharField(max_length=200)

    def validate_amount(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError(_("Must not be zero."))
        return value


class SafePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key field that answers "does not exist" for ids too large for the
    database instead of letting the database error through."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or parse_pk(data) is None:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class CouponTemplateSerializer(serializers.ModelSerializer):
    serializer_related_field = SafePrimaryKeyRelatedField

    class Meta:
        model = CouponTemplate
        fields = [
            "id",
            "name",
            "kind",
            "discount_amount",
            "threshold_amount",
            "discount_rate",
            "max_discount_amount",
            "validity",
            "valid_from",
            "valid_until",
            "valid_days",
            "total_stock",
            "issued_count",
            "per_member_limit",
            "is_claimable",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "issued_count", "created_at"]
        extra_kwargs = {
            "discount_amount": {"min_value": 0, "max_value": 1_000_000},
            "threshold_amount": {"min_value": 0, "max_value": 100_000_000},
            "max_discount_amount": {"min_value": 0, "max_value": 1_000_000},
            "discount_rate": {"min_value": 0, "max_value": 1},
            "total_stock": {"min_value": 1, "max_value": 100_000_000},
            "per_member_limit": {"min_value": 1, "max_value": 1000},
            "valid_days": {"min_value": 1, "max_value": 3650},
        }

    def validate(self, attrs):
        # Model-level rules live in the service; skip ModelSerializer's full_clean.
        return attrs


class GrantCouponSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class LevelUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False)
    discount_rate = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=0, max_value=1, required=False
    )
    free_shipping = serializers.BooleanField(required=False)
    birthday_points = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    birthday_coupon = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )


# --- SMS verification codes (issue 16) -------------------------------------------------


class RegisterSerializer(CredentialsSerializer):
    """Registration: phone + password, and the SMS code when the parameter requires it."""

    sms_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")


class SmsCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    purpose = serializers.ChoiceField(choices=SmsCode.Purpose.choices)
