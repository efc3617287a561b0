"""Storefront API of promotions' discovery part; see docs/PROMOTIONS.md and ../shared/API.md.

==================================================  =====================================
``POST api/v1/store/events/``                       a view → 202 (rate limited)
``GET api/v1/store/products/{id}/related/``         "bought together" (public)
``GET api/v1/store/me/recommendations/``            "for you" (member token)
==================================================  =====================================

Events are accepted from guests and members alike; the allowance
(``promotions.events_per_minute``) is per member when a member token is sent, else
per client IP (``mall.core.throttling``). An unknown object id is answered 202 like a
known one and not counted (no oracle of what exists).
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from catalog.serializers import StoreProductSerializer
from mall.core.exceptions import NotFound
from mall.core.throttling import ClientIpScopedRateThrottle
from members.authentication import MemberTokenAuthentication
from members.models import Member
from members.permissions import IsMember
from ops.parameters import get_parameter

from ..models import StoreEventCount
from ..parameters import EVENTS_PER_MINUTE
from ..promotions.events import store_event_record
from ..promotions.recommendations import member_recommendations, product_related


class StoreEventThrottle(ClientIpScopedRateThrottle):
    """``promotions.events_per_minute`` per member (token sent) or per client IP."""

    scope = "store_events"

    def allow_request(self, request, view) -> bool:
        self.rate = f"{get_parameter(EVENTS_PER_MINUTE)}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request, view)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        member = isinstance(user, Member)
        ident = f"member-{user.pk}" if member else f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class StoreEventInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=StoreEventCount.Type.choices)
    object_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


def _products(products) -> list[dict]:
    from catalog.apis import _store_context

    return StoreProductSerializer(products, many=True, context=_store_context(products)).data


class StoreEventView(APIView):
    """A storefront view of a product or a flash-sale session (guest or member)."""

    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [StoreEventThrottle]

    @extend_schema(
        request=StoreEventInput,
        responses={
            202: inline_serializer("StoreEventAccepted", {"status": serializers.CharField()})
        },
        tags=["storefront"],
    )
    def post(self, request):
        """Count one view (202 for any well-formed event; unknown objects are not counted)."""
        data = StoreEventInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = request.user if isinstance(request.user, Member) else None
        store_event_record(
            actor=member,
            event_type=data.validated_data["type"],
            object_id=data.validated_data["object_id"],
        )
        return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)


class StoreRelatedProductsView(APIView):
    """Guests may browse (like the product detail): no authentication."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(auth=[], responses=StoreProductSerializer(many=True), tags=["storefront"])
    def get(self, request, pk: int):
        """Products bought together with an on-shelf product (404 ``not_found`` otherwise)."""
        from catalog.exceptions import ProductNotFound
        from catalog.selectors import store_product_get

        try:
            product = store_product_get(actor=None, pk=pk)
        except ProductNotFound:
            raise NotFound(_("Product not found.")) from None
        return Response(_products(product_related(actor=None, product=product)))


class StoreRecommendationsView(APIView):
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]

    @extend_schema(responses=StoreProductSerializer(many=True), tags=["storefront"])
    def get(self, request):
        """On-shelf, available products for the member (from the categories bought)."""
        member = request.user
        return Response(_products(member_recommendations(actor=member, member=member)))


urlpatterns = [
    path("api/v1/store/events/", StoreEventView.as_view(), name="store-events"),
    path(
        "api/v1/store/products/<int:pk>/related/",
        StoreRelatedProductsView.as_view(),
        name="store-product-related",
    ),
    path(
        "api/v1/store/me/recommendations/",
        StoreRecommendationsView.as_view(),
        name="store-me-recommendations",
    ),
]
