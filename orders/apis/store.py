"""Storefront order endpoints (member bearer tokens).

Thin: validate the body, call one service or selector with ``actor=`` the member,
render. Members see only their own orders (another member's order is a 404).

=======================================================  ==============================
``POST api/v1/store/orders/preview/``                    price + dispatch plan
``GET|POST api/v1/store/orders/`` (POST: Idempotency-Key) own orders / place
``GET api/v1/store/orders/{order_no}/``                  one own order, with timeline
``POST api/v1/store/orders/{order_no}/cancel/``          cancel by stage
=======================================================  ==============================

Paying (``…/pay/``) and the channels' callbacks are served by the payments app
(``payments/apis/store.py``).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.context import client_ip_from_meta
from mall.core.idempotency import idempotent
from mall.core.pagination import DefaultCursorPagination
from members.authentication import MemberTokenAuthentication
from members.permissions import IsMember

from .. import selectors
from ..services.cancellation import order_cancel
from ..services.placement import order_place, order_preview
from .store_serializers import (
    CancelInput,
    PlacedOrderSerializer,
    PlaceOrderInput,
    PreviewSerializer,
    StoreOrderDetailSerializer,
    StoreOrderSerializer,
)

DEVICE_HEADER = "X-Device-Id"


class MemberView:
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]


def _device_id(request) -> str | None:
    value = (request.headers.get(DEVICE_HEADER) or "").strip()
    return value[:128] or None


def _placement_input(request) -> dict:
    serializer = PlaceOrderInput(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    if "address" in data:
        data["address"] = dict(data["address"])
    data["lines"] = [dict(line) for line in data["lines"]]
    return data


def _shipments_for(actor, orders) -> dict:
    from dispatch.selectors import shipments_by_order

    numbers = [order.order_no for order in orders]
    return shipments_by_order(actor=actor, order_nos=numbers) if numbers else {}


def _detail(request, order) -> dict:
    order = selectors.order_list_with_lines(actor=request.user).get(pk=order.pk)
    context = {
        "shipments": _shipments_for(request.user, [order]),
        "events": list(selectors.order_events(actor=request.user, order=order)),
    }
    return StoreOrderDetailSerializer(order, context=context).data


class OrderPreviewView(MemberView, APIView):
    @extend_schema(request=PlaceOrderInput, responses=PreviewSerializer, tags=["storefront"])
    def post(self, request):
        """Price a cart and plan its dispatch (same body as placing). Reserves nothing."""
        data = _placement_input(request)
        data.pop("buyer_note", None)
        return Response(order_preview(actor=request.user, **data))


class OrderListCreateView(MemberView, GenericAPIView):
    serializer_class = StoreOrderSerializer
    pagination_class = DefaultCursorPagination

    def get_queryset(self):
        return selectors.order_list_with_lines(actor=self.request.user)

    @extend_schema(responses=StoreOrderSerializer(many=True), tags=["storefront"])
    def get(self, request):
        """The member's own orders, newest first (cursor paging)."""
        page = self.paginate_queryset(self.get_queryset())
        context = {"shipments": _shipments_for(request.user, page)}
        data = StoreOrderSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=PlaceOrderInput, responses={201: PlacedOrderSerializer}, tags=["storefront"]
    )
    @idempotent
    def post(self, request):
        """Place an order (Idempotency-Key): stock is reserved in the same transaction."""
        data = _placement_input(request)
        order = order_place(
            actor=request.user,
            client_ip=client_ip_from_meta(request.META),
            device_id=_device_id(request),
            **data,
        )
        order = selectors.order_list_with_lines(actor=request.user).get(pk=order.pk)
        return Response(PlacedOrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(MemberView, APIView):
    @extend_schema(responses=StoreOrderDetailSerializer, tags=["storefront"])
    def get(self, request, order_no: str):
        """One of the member's own orders, with shipments and timeline."""
        order = selectors.order_get(actor=request.user, order_no=order_no)
        return Response(_detail(request, order))


class OrderCancelView(MemberView, APIView):
    @extend_schema(request=CancelInput, responses=StoreOrderDetailSerializer, tags=["storefront"])
    def post(self, request, order_no: str):
        """Cancel an own order before shipping (a paid order's refund opens)."""
        serializer = CancelInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = selectors.order_get(actor=request.user, order_no=order_no)
        order = order_cancel(
            actor=request.user, order=order, reason=serializer.validated_data["reason"]
        )
        return Response(_detail(request, order))


urlpatterns = [
    path("api/v1/store/orders/preview/", OrderPreviewView.as_view(), name="store-order-preview"),
    path("api/v1/store/orders/", OrderListCreateView.as_view(), name="store-orders"),
    path("api/v1/store/orders/<str:order_no>/", OrderDetailView.as_view(), name="store-order"),
    path(
        "api/v1/store/orders/<str:order_no>/cancel/",
        OrderCancelView.as_view(),
        name="store-order-cancel",
    ),
]
