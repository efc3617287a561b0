"""Serializers of the reports staff API (input checks and the output shapes)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import ReportArchive
from .selectors import PERIODS

CODE_REGEX = r"^[A-Za-z0-9_-]{1,30}$"


class DashboardQuery(serializers.Serializer):
    """``?period=today|7d|30d&region=&channel=`` — an empty value means "no filter"."""

    period = serializers.ChoiceField(choices=list(PERIODS), required=False, allow_blank=True)
    region = serializers.RegexField(CODE_REGEX, required=False, allow_blank=True, max_length=30)
    channel = serializers.RegexField(CODE_REGEX, required=False, allow_blank=True, max_length=30)


def _money(**kwargs):
    return serializers.DecimalField(max_digits=16, decimal_places=2, **kwargs)


def _ratio():
    return serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)


class KpiSerializer(serializers.Serializer):
    orders = serializers.IntegerField()
    paid_orders = serializers.IntegerField()
    gmv = _money()
    paid_conversion = _ratio()
    average_order_value = _money(allow_null=True)
    new_members = serializers.IntegerField(allow_null=True)
    buyers = serializers.IntegerField()
    repeat_buyers = serializers.IntegerField()
    repeat_purchase_rate = _ratio()
    previous_buyers = serializers.IntegerField()
    retained_buyers = serializers.IntegerField()
    retention_rate = _ratio()
    refunded = _money()
    refund_rate = _ratio()


class KpiPairSerializer(serializers.Serializer):
    current = KpiSerializer()
    previous = KpiSerializer()


class CardsSerializer(serializers.Serializer):
    today = KpiPairSerializer()
    last_7_days = KpiPairSerializer(source="7d")
    last_30_days = KpiPairSerializer(source="30d")


class BreakdownSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    orders = serializers.IntegerField()
    paid_orders = serializers.IntegerField()
    gmv = _money()
    paid_conversion = _ratio()
    average_order_value = _money(allow_null=True)
    refund_rate = _ratio()


class TrendSerializer(serializers.Serializer):
    day = serializers.DateField()
    orders = serializers.IntegerField()
    paid_orders = serializers.IntegerField()
    gmv = _money()


class DashboardSerializer(serializers.Serializer):
    period = serializers.CharField()
    region = serializers.CharField()
    channel = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    current = KpiSerializer()
    previous = KpiSerializer()
    cards = CardsSerializer()
    by_region = BreakdownSerializer(many=True)
    by_channel = BreakdownSerializer(many=True)
    trend = TrendSerializer(many=True)


class ReportArchiveSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", label=_("report kind"))

    class Meta:
        model = ReportArchive
        fields = [
            "id",
            "kind",
            "kind_display",
            "period_start",
            "period_end",
            "file_name",
            "size_bytes",
            "summary",
            "generated_at",
        ]
        read_only_fields = fields
