"""Storefront after-sales and reviews (member bearer tokens; the public product reviews).

* ``POST /api/v1/store/orders/{order_no}/after-sales/`` (``Idempotency-Key``) — request;
* ``GET /api/v1/store/after-sales/``, ``GET …/{case_no}/`` — own cases (timeline on detail);
* ``POST …/{case_no}/dispute/`` ``{"reason"}``, ``POST …/{case_no}/cancel/``;
* ``POST /api/v1/store/orders/{order_no}/reviews/`` ``{"sku" | "line_id", "rating", "text"}``;
* ``GET /api/v1/store/products/{id}/reviews/`` — shown reviews, public, cursor paging,
  the reviewer masked and no member ids.

Reads go through ``orders.selectors`` with the member as ``actor`` (own rows only);
writes call one service each. Evidence images: send ``multipart/form-data`` with the
JSON body in a ``payload`` field and the files as ``images``.
"""

from __future__ import annotations

import json

from django.db.models import Prefetch
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.context import client_ip_from_meta
from mall.core.exceptions import InvalidInput
from mall.core.idempotency import idempotent
from mall.core.pagination import DefaultCursorPagination
from members.authentication import MemberTokenAuthentication
from members.permissions import IsMember

from .. import selectors
from ..exceptions import InvalidOrderInput
from ..models import AfterSale, AfterSaleLine, Review
from ..serializers_after_sales import (
    AfterSaleEmptyInput,
    AfterSaleReasonInput,
    AfterSaleRequestInput,
    ProductReviewInput,
    PublicProductReviewSerializer,
    StoreAfterSaleDetailSerializer,
    StoreAfterSaleSerializer,
    StoreProductReviewSerializer,
)
from ..services import after_sales as services
from ..services.reviews import review_create

TAGS = ["storefront"]


class _MemberView:
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]


def _body(request) -> tuple[dict, list]:
    """The JSON body and the uploaded images (multipart: ``payload`` + ``images``)."""
    if request.content_type and request.content_type.startswith("multipart/"):
        try:
            data = json.loads(request.data.get("payload") or "{}")
        except ValueError:
            raise InvalidInput(fields={"payload": [_("Send the fields as JSON.")]}) from None
        if not isinstance(data, dict):
            raise InvalidInput(fields={"payload": [_("Send the fields as JSON.")]})
        return data, request.FILES.getlist("images")
    return request.data, []


def _order_lines(order, wanted: list[dict]):
    by_sku = {line.sku_code: line for line in order.lines.all()}
    chosen = []
    for entry in wanted:
        line = by_sku.get(entry["sku"])
        if line is None:
            raise InvalidOrderInput(
                fields={"lines": [_("%(sku)s is not part of this order.") % {"sku": entry["sku"]}]}
            )
        chosen.append((line, entry["quantity"]))
    return chosen


def _store_cases(*, actor):
    return selectors.after_sale_list(actor=actor).prefetch_related(
        Prefetch("lines", queryset=AfterSaleLine.objects.select_related("order_line"))
    )


class OrderAfterSaleView(_MemberView, APIView):
    @extend_schema(
        request=AfterSaleRequestInput, responses={201: StoreAfterSaleSerializer}, tags=TAGS
    )
    @idempotent
    def post(self, request, order_no: str):
        """Ask for a refund, a return or an exchange of some units of an own order."""
        data, images = _body(request)
        serializer = AfterSaleRequestInput(data=data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        order = selectors.order_get(actor=request.user, order_no=order_no)
        case = services.after_sale_request(
            actor=request.user,
            order=order,
            kind=body["type"],
            lines=_order_lines(order, body["lines"]),
            reason=body["reason"],
            description=body.get("description", ""),
            amount=body.get("amount"),
            images=images,
            client_ip=client_ip_from_meta(request.META),
            device_id=request.headers.get("X-Device-Id"),
        )
        case = _store_cases(actor=request.user).get(pk=case.pk)
        return Response(StoreAfterSaleSerializer(case).data, status=status.HTTP_201_CREATED)


class StoreAfterSaleViewSet(_MemberView, viewsets.GenericViewSet):
    """The member's own after-sales cases, by case number."""

    lookup_field = "case_no"
    lookup_value_regex = r"[A-Za-z0-9]{1,24}"
    serializer_class = StoreAfterSaleSerializer
    pagination_class = DefaultCursorPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AfterSale.objects.none()
        return _store_cases(actor=self.request.user)

    def _case(self, request, case_no):
        return selectors.after_sale_get(actor=request.user, case_no=case_no)

    @extend_schema(tags=TAGS)
    def list(self, request):
        """Own cases, newest first."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StoreAfterSaleSerializer(page, many=True).data)

    @extend_schema(tags=TAGS, responses=StoreAfterSaleDetailSerializer)
    def retrieve(self, request, case_no=None):
        """One own case with its timeline."""
        case = self._case(request, case_no)
        return Response(StoreAfterSaleDetailSerializer(case).data)

    @extend_schema(
        tags=TAGS, request=AfterSaleReasonInput, responses=StoreAfterSaleDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, case_no=None):
        """Disagree with a rejection (once): a plan follows within 48 hours."""
        data = AfterSaleReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.after_sale_dispute(
            actor=request.user,
            after_sale=self._case(request, case_no),
            reason=data.validated_data["reason"],
        )
        return Response(StoreAfterSaleDetailSerializer(case).data)

    @extend_schema(tags=TAGS, request=AfterSaleEmptyInput, responses=StoreAfterSaleDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, case_no=None):
        """Withdraw a case before the goods are received or the money refunded."""
        case = services.after_sale_cancel(
            actor=request.user, after_sale=self._case(request, case_no)
        )
        return Response(StoreAfterSaleDetailSerializer(case).data)


class OrderReviewView(_MemberView, APIView):
    @extend_schema(
        request=ProductReviewInput, responses={201: StoreProductReviewSerializer}, tags=TAGS
    )
    def post(self, request, order_no: str):
        """Review one received line of an own order (1–5 stars, text, images)."""
        data, images = _body(request)
        serializer = ProductReviewInput(data=data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        order = selectors.order_get(actor=request.user, order_no=order_no)
        lines = order.lines.all()
        line = (
            lines.filter(sku_code=body["sku"]).first()
            if "sku" in body
            else lines.filter(pk=body["line_id"]).first()
        )
        if line is None:
            raise InvalidOrderInput(fields={"sku": [_("The line is not part of this order.")]})
        review = review_create(
            actor=request.user,
            order=order,
            line=line,
            rating=body["rating"],
            text=body.get("text", ""),
            images=images,
        )
        return Response(StoreProductReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ProductReviewListView(GenericAPIView):
    """Shown reviews of one product (public)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = PublicProductReviewSerializer
    pagination_class = DefaultCursorPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return selectors.product_reviews_public(
            actor=None, product_id=self.kwargs["pk"]
        ).select_related("member", "line")

    @extend_schema(tags=TAGS, auth=[], responses=PublicProductReviewSerializer(many=True))
    def get(self, request, pk: int):
        """Shown reviews, newest first; reviewers masked, no member ids."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PublicProductReviewSerializer(page, many=True).data)


_cases = StoreAfterSaleViewSet

urlpatterns = [
    path(
        "api/v1/store/orders/<str:order_no>/after-sales/",
        OrderAfterSaleView.as_view(),
        name="store-order-after-sales",
    ),
    path(
        "api/v1/store/orders/<str:order_no>/reviews/",
        OrderReviewView.as_view(),
        name="store-order-reviews",
    ),
    path(
        "api/v1/store/products/<int:pk>/reviews/",
        ProductReviewListView.as_view(),
        name="store-product-reviews",
    ),
    path(
        "api/v1/store/after-sales/",
        _cases.as_view({"get": "list"}),
        name="store-after-sale-list",
    ),
    path(
        "api/v1/store/after-sales/<str:case_no>/",
        _cases.as_view({"get": "retrieve"}),
        name="store-after-sale-detail",
    ),
    path(
        "api/v1/store/after-sales/<str:case_no>/dispute/",
        _cases.as_view({"post": "dispute"}),
        name="store-after-sale-dispute",
    ),
    path(
        "api/v1/store/after-sales/<str:case_no>/cancel/",
        _cases.as_view({"post": "cancel"}),
        name="store-after-sale-cancel",
    ),
]
