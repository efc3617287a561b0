"""Serializers of the finance endpoints (``payments/apis/staff.py``).

Money is a string with two decimals. The payer (openid / buyer id) is a kernel
:class:`~mall.core.api.MaskedField`: masked unless ``payments.view_payment_pii`` (the
viewset's ``pii_permission``), each reveal audited. A callback's raw body and
headers are never served.
"""

from __future__ import annotations

from rest_framework import serializers

from mall.core.api import MaskedField

from ..models import (
    CallbackRecord,
    Channel,
    ChannelHealth,
    PaymentAnomaly,
    PaymentTransaction,
    Refund,
    Settlement,
)


def Money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


def _name(user) -> str | None:
    if user is None:
        return None
    from mall.core.people import person_name

    return person_name(user)


class TransactionSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.order_no", read_only=True, default=None)
    region = serializers.CharField(source="region.code", read_only=True, default=None)
    payer = MaskedField(kind="id_number")
    total_amount = Money()
    discount_amount = Money()
    paid_amount = Money()
    refunded_amount = Money()
    fee_amount = Money()

    class Meta:
        model = PaymentTransaction
        fields = [
            "id",
            "transaction_no",
            "channel_trade_no",
            "purpose",
            "order_no",
            "member_id",
            "region",
            "channel",
            "scene",
            "status",
            "total_amount",
            "discount_amount",
            "paid_amount",
            "refunded_amount",
            "fee_amount",
            "payer",
            "expires_at",
            "paid_at",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    transaction_no = serializers.CharField(source="transaction.transaction_no", read_only=True)
    order_no = serializers.CharField(source="order.order_no", read_only=True, default=None)
    region = serializers.CharField(source="region.code", read_only=True, default=None)
    amount = Money()
    fee_refund_amount = Money()

    class Meta:
        model = Refund
        fields = [
            "id",
            "refund_no",
            "channel_refund_no",
            "transaction_no",
            "order_no",
            "region",
            "channel",
            "source",
            "after_sale_case_no",
            "amount",
            "fee_refund_amount",
            "reason",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "succeeded_at",
            "created_at",
        ]
        read_only_fields = fields


class CallbackSerializer(serializers.ModelSerializer):
    """A callback as received — without its body or headers."""

    transaction_no = serializers.CharField(
        source="transaction.transaction_no", read_only=True, default=None
    )

    class Meta:
        model = CallbackRecord
        fields = [
            "id",
            "channel",
            "kind",
            "received_at",
            "remote_ip",
            "verified",
            "outcome",
            "error_code",
            "reference_no",
            "transaction_no",
        ]
        read_only_fields = fields


class AnomalySerializer(serializers.ModelSerializer):
    transaction_no = serializers.CharField(
        source="transaction.transaction_no", read_only=True, default=None
    )
    refund_no = serializers.CharField(source="refund.refund_no", read_only=True, default=None)
    expected_amount = Money(allow_null=True)
    reported_amount = Money(allow_null=True)
    resolved_by = serializers.SerializerMethodField()

    class Meta:
        model = PaymentAnomaly
        fields = [
            "id",
            "kind",
            "status",
            "channel",
            "transaction_no",
            "refund_no",
            "reference_no",
            "expected_amount",
            "reported_amount",
            "detail",
            "resolution_note",
            "resolved_by",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_resolved_by(self, row) -> str | None:
        return _name(row.resolved_by) if row.resolved_by_id else None


class TransactionDetailSerializer(TransactionSerializer):
    """A transaction with its refunds, callbacks (no bodies) and anomalies, oldest first."""

    refunds = serializers.SerializerMethodField()
    callbacks = serializers.SerializerMethodField()
    anomalies = serializers.SerializerMethodField()

    class Meta(TransactionSerializer.Meta):
        fields = [*TransactionSerializer.Meta.fields, "refunds", "callbacks", "anomalies"]
        read_only_fields = fields

    def _actor(self):
        return self.context["request"].user

    def get_refunds(self, row) -> list[dict]:
        from ..selectors import transaction_refunds

        rows = transaction_refunds(actor=self._actor(), transaction=row)
        return RefundSerializer(rows, many=True, context=self.context).data

    def get_callbacks(self, row) -> list[dict]:
        from ..selectors import transaction_callbacks

        rows = transaction_callbacks(actor=self._actor(), transaction=row)
        return CallbackSerializer(rows, many=True, context=self.context).data

    def get_anomalies(self, row) -> list[dict]:
        from ..selectors import transaction_anomalies

        rows = transaction_anomalies(actor=self._actor(), transaction=row)
        return AnomalySerializer(rows, many=True, context=self.context).data


class SettlementSerializer(serializers.ModelSerializer):
    gross_amount = Money()
    fee_amount = Money()
    refund_amount = Money()
    fee_refund_amount = Money()
    net_amount = Money()
    confirmed_by = serializers.SerializerMethodField()

    class Meta:
        model = Settlement
        fields = [
            "id",
            "channel",
            "business_date",
            "status",
            "payment_count",
            "gross_amount",
            "fee_amount",
            "refund_count",
            "refund_amount",
            "fee_refund_amount",
            "net_amount",
            "expected_on",
            "computed_at",
            "confirmed_by",
            "confirmed_at",
        ]
        read_only_fields = fields

    def get_confirmed_by(self, row) -> str | None:
        return _name(row.confirmed_by) if row.confirmed_by_id else None


class ChannelHealthSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChannelHealth
        fields = [
            "channel",
            "state",
            "success_rate",
            "latency_p95_ms",
            "calls",
            "window_minutes",
            "changed_at",
            "computed_at",
        ]
        read_only_fields = fields


class SettlementComputeInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    business_date = serializers.DateField()


class AnomalyResolveInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, trim_whitespace=True)
