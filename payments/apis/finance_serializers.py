"""Serializers of the reconciliation endpoints (``payments/apis/finance.py``).

Money is a string with two decimals; people are shown by name. Nothing here is
personal data: a discrepancy carries numbers and amounts only.
"""

from __future__ import annotations

from rest_framework import serializers

from ..models import Channel, Discrepancy, Reconciliation, ReconciliationAdjustment
from ..models.reconciliation import SUMMARY_KEYS
from .staff_serializers import Money, _name


class ReconciliationSerializer(serializers.ModelSerializer):
    # codes as plain strings in the schema (no enum component colliding with other
    # apps' "status" / "kind" / "source"); the values are the model's choices
    kind = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    summary = serializers.SerializerMethodField()
    open_amount = Money()
    sales_channel = serializers.CharField(source="sales_channel.code", default=None, read_only=True)
    requested_by = serializers.SerializerMethodField()

    class Meta:
        model = Reconciliation
        fields = [
            "id",
            "kind",
            "channel",
            "sales_channel",
            "bill_date",
            "period_end",
            "source",
            "status",
            "progress",
            "rows_done",
            "rows_total",
            "summary",
            "open_count",
            "open_amount",
            "bill_name",
            "bill_sha256",
            "requested_by",
            "started_at",
            "finished_at",
            "error",
            "error_code",
            "superseded_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_summary(self, row: Reconciliation) -> dict[str, int]:
        summary = row.summary or {}
        return {key: int(summary.get(key) or 0) for key in SUMMARY_KEYS}

    def get_requested_by(self, row: Reconciliation) -> str | None:
        return _name(row.requested_by)


class ReconciliationDetailSerializer(ReconciliationSerializer):
    totals = serializers.JSONField(read_only=True)

    class Meta(ReconciliationSerializer.Meta):
        fields = [*ReconciliationSerializer.Meta.fields, "totals"]
        read_only_fields = fields


class ReconciliationStartInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    bill_date = serializers.DateField()
    file = serializers.FileField(allow_empty_file=False)


class ReconciliationStarted(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class DiscrepancySerializer(serializers.ModelSerializer):
    # codes as plain strings in the schema (no enum component colliding with other
    # apps' "status" / "kind" / "source"); the values are the model's choices
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    our_amount = Money(allow_null=True)
    channel_amount = Money(allow_null=True)
    difference_amount = Money()
    region = serializers.CharField(source="region.code", default=None, read_only=True)
    sales_channel = serializers.CharField(source="sales_channel.code", default=None, read_only=True)
    resolved_by = serializers.SerializerMethodField()

    class Meta:
        model = Discrepancy
        fields = [
            "id",
            "reconciliation",
            "kind",
            "status",
            "channel",
            "sales_channel",
            "business_date",
            "transaction_no",
            "refund_no",
            "channel_trade_no",
            "channel_refund_no",
            "our_amount",
            "channel_amount",
            "difference_amount",
            "region",
            "detail",
            "held_until",
            "resolution_note",
            "resolved_by",
            "resolved_at",
            "last_queried_at",
            "query_result",
            "created_at",
        ]
        read_only_fields = fields

    def get_resolved_by(self, row: Discrepancy) -> str | None:
        return _name(row.resolved_by)


class DiscrepancyResolveInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, trim_whitespace=True)


class AdjustmentProposeInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField(max_length=300, trim_whitespace=True)


class AdjustmentDecideInput(serializers.Serializer):
    note = serializers.CharField(
        max_length=300, trim_whitespace=True, required=False, allow_blank=True, default=""
    )


class AdjustmentRejectInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, trim_whitespace=True)


class AdjustmentSerializer(serializers.ModelSerializer):
    # codes as plain strings in the schema (no enum component colliding with other
    # apps' "status" / "kind" / "source"); the values are the model's choices
    status = serializers.CharField(read_only=True)
    amount = Money()
    region = serializers.CharField(source="region.code", default=None, read_only=True)
    reconciliation = serializers.IntegerField(
        source="discrepancy.reconciliation_id", read_only=True
    )
    proposed_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = ReconciliationAdjustment
        fields = [
            "id",
            "discrepancy",
            "reconciliation",
            "amount",
            "note",
            "status",
            "region",
            "proposed_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "ledger_reference",
            "created_at",
        ]
        read_only_fields = fields

    def get_proposed_by(self, row: ReconciliationAdjustment) -> str | None:
        return _name(row.proposed_by)

    def get_decided_by(self, row: ReconciliationAdjustment) -> str | None:
        return _name(row.decided_by)
