"""Storefront fulfilment endpoints (member token): confirm receipt.

``POST /api/v1/store/orders/{order_no}/confirm-receipt/`` → 200
``{"order_no", "status": "completed", "completed_at"}``; another member's order is
404 like a missing one; an order not shipped yet is 409 ``invalid_state``.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from members.authentication import MemberTokenAuthentication
from members.permissions import IsMember

from ..selectors import order_get
from ..services.shipping import order_confirm_receipt


class ReceiptSerializer(serializers.Serializer):
    order_no = serializers.CharField()
    status = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)


class ConfirmReceiptView(APIView):
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]

    @extend_schema(request=None, responses=ReceiptSerializer, tags=["storefront"])
    def post(self, request, order_no: str):
        """Confirm that the parcels of your shipped order arrived (completes the order)."""
        order = order_get(actor=request.user, order_no=order_no)
        order = order_confirm_receipt(actor=request.user, order=order)
        return Response(ReceiptSerializer(order).data)


urlpatterns = [
    path(
        "api/v1/store/orders/<str:order_no>/confirm-receipt/",
        ConfirmReceiptView.as_view(),
        name="store-order-confirm-receipt",
    ),
]
