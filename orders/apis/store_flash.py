"""Storefront flash sales: ``GET api/v1/store/flash-sessions/`` (../shared/API.md).

Public browsing like the product list (no authentication, the same answer for
everyone): the running and the upcoming sessions, each with its items — SKU code,
flash price, units remaining of the session quota and the per-member limit. The read
is ``orders.promotions.flash_orders.flash_sessions_for_store`` (which also opens a session
whose window has started). A flash order is placed through ``POST
api/v1/store/orders/`` with ``"flash_session": <id>``.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.money import money_str

from ..models import ApprovalStatus


class StoreFlashItemSerializer(serializers.Serializer):
    sku = serializers.CharField(help_text="SKU code")
    title = serializers.CharField(required=False, help_text="product name")
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text="the SKU's sale price"
    )
    flash_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    remaining = serializers.IntegerField(help_text="units left of the session quota")
    per_member_limit = serializers.IntegerField()


class StoreFlashSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(required=False)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["running", "upcoming"])
    items = StoreFlashItemSerializer(many=True)


def _session_data(session) -> dict:
    """One session as the storefront reads it (a model row or the read's own dict)."""
    if isinstance(session, dict):
        return session
    running = session.status == ApprovalStatus.RUNNING
    return {
        "id": session.pk,
        "name": session.name,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "status": "running" if running else "upcoming",
        "items": [
            {
                "sku": item.sku.code,
                "title": item.sku.product.title,
                "price": money_str(item.sku.price_amount),
                "flash_price": money_str(item.flash_price_amount),
                "remaining": item.held if running else item.quota,
                "per_member_limit": item.per_member_limit,
            }
            for item in session.items.all()
        ],
    }


class StoreFlashSessionListView(APIView):
    """Guests may browse: no authentication, no staff permission (like the product list)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        auth=[],
        responses=StoreFlashSessionSerializer(many=True),
        tags=["storefront"],
        summary="Running and upcoming flash-sale sessions with their items",
    )
    def get(self, request):
        from ..promotions.flash_orders import flash_sessions_for_store

        sessions = [_session_data(s) for s in flash_sessions_for_store(now=timezone.now())]
        return Response(StoreFlashSessionSerializer(sessions, many=True).data)


urlpatterns = [
    path(
        "api/v1/store/flash-sessions/",
        StoreFlashSessionListView.as_view(),
        name="store-flash-sessions",
    ),
]
