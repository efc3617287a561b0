"""Serializers of the risk staff API (``risk/apis/staff.py``, docs/API.md "Risk").

Output: a case's member phone is a kernel :class:`~mall.core.api.MaskedField`, masked
unless the reader holds ``risk.view_risk_evidence_pii`` (the viewset's
``pii_permission``; each reveal audited ``pii.reveal``). Evidence never holds a phone
in plaintext (docs/RISK.md); a blacklist entry is served by its masked ``label``, never
its stored value (a lookup hash for phones and addresses). Money is a string with two
decimals.

Input: one serializer per action (``…Input``); the services check the rest again.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mall.core.api import MaskedField

from .models import BlacklistEntry, FundFreeze, RiskCase, RiskEvent, RiskMark
from .services.lists import MAX_DAYS

NUMBER_MAX = 24


def _name(user) -> str | None:
    if user is None:
        return None
    from mall.core.people import person_name

    return person_name(user)


class _PersonField(serializers.Field):
    """A staff user as the name people read (``null`` when unset)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return getattr(instance, self.source, None)

    def to_representation(self, value):
        return _name(value)


try:  # a nullable string in the OpenAPI schema
    from drf_spectacular.extensions import OpenApiSerializerFieldExtension

    class _PersonFieldExtension(OpenApiSerializerFieldExtension):
        target_class = "risk.serializers._PersonField"

        def map_serializer_field(self, auto_schema, direction):
            return {"type": "string", "nullable": True, "readOnly": True}

except ImportError:  # pragma: no cover
    pass


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceField(serializers.ChoiceField):
    """A code from a fixed list (validated; a plain string in the schema, so the
    schema's enums of other apps keep their names)."""


def _code():
    """A code read from the model (its label beside it): a plain string in the schema."""
    return serializers.CharField(read_only=True)


def _live(row) -> bool:
    if row.revoked_at is not None:
        return False
    return row.expires_at is None or row.expires_at > timezone.now()


# --- cases ----------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    """A case in the list: no evidence, no notes (the detail has them)."""

    kind = _code()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status = _code()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    point = _code()
    point_label = serializers.CharField(source="get_point_display", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True, default=None)
    order_no = serializers.CharField(source="order.order_no", read_only=True, default=None)
    member_phone = MaskedField(kind="phone", source="member.phone", allow_null=True)
    handler = _PersonField()
    decided_by = _PersonField()

    class Meta:
        model = RiskCase
        fields = [
            "case_no",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "point",
            "point_label",
            "rule",
            "score",
            "summary",
            "region",
            "order_no",
            "member_id",
            "member_phone",
            "handler",
            "decided_by",
            "decided_at",
            "decision_reason",
            "seen_count",
            "last_seen_at",
            "created_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    """A case with its evidence, notes and the fund freezes opened from it."""

    freezes = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "evidence", "notes", "freezes"]
        read_only_fields = fields

    def get_freezes(self, case) -> list[str]:
        from .selectors import freeze_list

        reader = self.context["request"].user
        rows = freeze_list(actor=reader).filter(case=case).order_by("id")
        return list(rows.values_list("freeze_no", flat=True))


class CaseReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, label=_("reason"))


class CaseConfirmInput(CaseReasonInput):
    mark_level = CodeChoiceField(
        choices=RiskMark.Level.choices, required=False, allow_null=True, label=_("mark level")
    )
    mark_days = serializers.IntegerField(
        min_value=1, max_value=MAX_DAYS, required=False, allow_null=True, label=_("mark days")
    )
    blacklist = serializers.BooleanField(required=False, default=False, label=_("blacklist"))

    def validate(self, attrs):
        if attrs.get("mark_days") and not attrs.get("mark_level"):
            raise serializers.ValidationError(
                {"mark_days": [_("Give a mark level with the days.")]}
            )
        return attrs


class CaseCloseOrdersInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, label=_("reason"))


class CaseNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000, label=_("note"))


class CaseReportInput(serializers.Serializer):
    summary = serializers.CharField(max_length=300, label=_("summary"))
    order_no = serializers.CharField(
        max_length=NUMBER_MAX, required=False, allow_blank=True, label=_("order number")
    )
    member = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, label=_("member")
    )

    def validate(self, attrs):
        if not attrs.get("order_no") and not attrs.get("member"):
            raise serializers.ValidationError({"member": [_("Name a member or an order.")]})
        return attrs


class CloseOrdersResultSerializer(serializers.Serializer):
    case = CaseSerializer()
    closed = serializers.ListField(child=serializers.CharField())


# --- fund freezes -----------------------------------------------------------------------


class FreezeSerializer(serializers.ModelSerializer):
    status = _code()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    order_no = serializers.CharField(source="order.order_no", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    case_no = serializers.CharField(source="case.case_no", read_only=True, default=None)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    frozen_by = _PersonField()
    released_by = _PersonField()

    class Meta:
        model = FundFreeze
        fields = [
            "freeze_no",
            "status",
            "status_label",
            "order_no",
            "region",
            "case_no",
            "reason",
            "amount",
            "frozen_by",
            "created_at",
            "released_by",
            "released_at",
            "release_reason",
        ]
        read_only_fields = fields


class FreezeCreateInput(serializers.Serializer):
    order_no = serializers.CharField(max_length=NUMBER_MAX, label=_("order number"))
    reason = serializers.CharField(max_length=200, label=_("reason"))
    case_no = serializers.CharField(
        max_length=NUMBER_MAX, required=False, allow_blank=True, label=_("case number")
    )


class FreezeReleaseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, label=_("reason"))


# --- marks and blacklist ----------------------------------------------------------------


class MarkSerializer(serializers.ModelSerializer):
    level = _code()
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    case_no = serializers.CharField(source="case.case_no", read_only=True, default=None)
    live = serializers.SerializerMethodField()
    created_by = _PersonField()
    revoked_by = _PersonField()

    class Meta:
        model = RiskMark
        fields = [
            "id",
            "member_id",
            "level",
            "level_label",
            "reason",
            "case_no",
            "expires_at",
            "live",
            "created_by",
            "created_at",
            "revoked_by",
            "revoked_at",
            "revoke_reason",
        ]
        read_only_fields = fields

    def get_live(self, mark) -> bool:
        return _live(mark)


class MarkCreateInput(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, max_value=2**63 - 1, label=_("member"))
    level = CodeChoiceField(choices=RiskMark.Level.choices, label=_("level"))
    reason = serializers.CharField(max_length=300, label=_("reason"))
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_DAYS, required=False, allow_null=True, label=_("days")
    )
    case_no = serializers.CharField(
        max_length=NUMBER_MAX, required=False, allow_blank=True, label=_("case number")
    )


class RevokeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, label=_("reason"))


class BlacklistSerializer(serializers.ModelSerializer):
    """An entry by its masked label; the stored value (a hash for phones and addresses,
    a device id or an IP) is never served."""

    kind = _code()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    case_no = serializers.CharField(source="case.case_no", read_only=True, default=None)
    live = serializers.SerializerMethodField()
    created_by = _PersonField()
    revoked_by = _PersonField()

    class Meta:
        model = BlacklistEntry
        fields = [
            "id",
            "kind",
            "kind_label",
            "label",
            "member_id",
            "reason",
            "case_no",
            "expires_at",
            "live",
            "created_by",
            "created_at",
            "revoked_by",
            "revoked_at",
            "revoke_reason",
        ]
        read_only_fields = fields

    def get_live(self, entry) -> bool:
        return _live(entry)


class BlacklistCreateInput(serializers.Serializer):
    kind = CodeChoiceField(choices=BlacklistEntry.Kind.choices, label=_("type"))
    value = serializers.CharField(
        max_length=300, required=False, allow_blank=True, label=_("value")
    )
    member = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, label=_("member")
    )
    reason = serializers.CharField(max_length=300, label=_("reason"))
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_DAYS, required=False, allow_null=True, label=_("days")
    )
    case_no = serializers.CharField(
        max_length=NUMBER_MAX, required=False, allow_blank=True, label=_("case number")
    )

    def validate(self, attrs):
        if attrs["kind"] == BlacklistEntry.Kind.MEMBER:
            if not attrs.get("member"):
                raise serializers.ValidationError({"member": [_("Choose a member.")]})
        elif not (attrs.get("value") or "").strip():
            raise serializers.ValidationError({"value": [_("Enter a value.")]})
        return attrs


# --- events -----------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    point = _code()
    decision = _code()
    point_label = serializers.CharField(source="get_point_display", read_only=True)
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True, default=None)

    class Meta:
        model = RiskEvent
        fields = [
            "id",
            "point",
            "point_label",
            "decision",
            "decision_label",
            "rule",
            "score",
            "reason",
            "evidence",
            "member_id",
            "region",
            "created_at",
        ]
        read_only_fields = fields
