"""The storefront's stored balance (储值): read it, top it up.

=========================================================  ============================
``GET  api/v1/store/me/balance/``                          balance + newest entries
``POST api/v1/store/me/balance/recharge/`` (Idem.-Key)     start a recharge (1–50,000)
=========================================================  ============================

A recharge is paid through a paying channel (never the balance itself); the channel's
notification credits the balance once (``payments.services.recharge``).
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.idempotency import idempotent
from members.authentication import MemberTokenAuthentication
from members.models import BalanceEntry
from members.permissions import IsMember

from ..models import Channel, Scene
from ..services.recharge import MAX_RECHARGE, MIN_RECHARGE
from .store import PayStartSerializer


class BalanceEntrySerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    balance_after = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)

    class Meta:
        model = BalanceEntry
        fields = ["kind", "reference", "amount", "balance_after", "note", "created_at"]


class BalanceSerializer(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    entries = BalanceEntrySerializer(many=True)


class RechargeInput(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=MIN_RECHARGE,
        max_value=MAX_RECHARGE,
        help_text='Yuan, e.g. "100.00" (1–50,000)',
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        default=Channel.SANDBOX,
        help_text="A paying channel (the balance cannot recharge itself: 400)",
    )
    scene = serializers.ChoiceField(choices=Scene.choices, default=Scene.JSAPI)


class MyBalanceView(APIView):
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]

    @extend_schema(responses=BalanceSerializer, tags=["storefront"])
    def get(self, request):
        """The member's stored balance and the newest 20 entries of its ledger."""
        from members.services.balance import balance_statement

        statement = balance_statement(actor=request.user, member=request.user)
        return Response(BalanceSerializer(statement).data)


class MyBalanceRechargeView(APIView):
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]

    @extend_schema(request=RechargeInput, responses=PayStartSerializer, tags=["storefront"])
    @idempotent
    def post(self, request):
        """Start topping up the balance through a paying channel (Idempotency-Key)."""
        from ..services.recharge import recharge_start

        serializer = RechargeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        answer = recharge_start(
            actor=request.user,
            amount=Decimal(data["amount"]),
            channel=data["channel"],
            scene=data["scene"],
        )
        return Response(answer)


urlpatterns = [
    path("api/v1/store/me/balance/", MyBalanceView.as_view(), name="store-me-balance"),
    path(
        "api/v1/store/me/balance/recharge/",
        MyBalanceRechargeView.as_view(),
        name="store-me-balance-recharge",
    ),
]
