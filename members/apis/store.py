"""Storefront endpoints of the members app (member bearer tokens only).

Every read goes through a selector with ``actor=`` the member (who sees only their
own rows); every write is a service called with ``actor=`` the member (None for
the anonymous register and login). Query filters are FilterSets
(``members/filters.py``).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from mall.core.api import ScopedFilterBackend
from mall.core.context import client_ip_from_meta
from mall.core.idempotency import idempotent
from mall.core.pagination import DefaultCursorPagination

from .. import selectors, services
from ..authentication import MemberTokenAuthentication
from ..filters import CouponFilter, PointsEntryFilter
from ..models import Address, Coupon, CouponTemplate, PointsEntry
from ..permissions import IsMember
from ..serializers import (
    AddressInputSerializer,
    AddressPatchSerializer,
    AddressSerializer,
    ClaimableCouponTemplateSerializer,
    CouponSerializer,
    CredentialsSerializer,
    MeSerializer,
    MeUpdateSerializer,
    PointsEntrySerializer,
    PointsLotSerializer,
    RegisterSerializer,
    SignInResultSerializer,
    SmsCodeRequestSerializer,
    TokenSerializer,
)
from ..services.sms_codes import sms_code_send


class MemberView:
    """Mixin: member token authentication and the member permission."""

    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "member_register"

    @extend_schema(
        auth=[],
        request=RegisterSerializer,
        responses={201: TokenSerializer},
        tags=["storefront"],
    )
    def post(self, request):
        """Register by phone + password and log in: answer the new member's token.

        ``sms_code`` (from ``auth/sms-code/``) is required when the parameter
        ``members.register_requires_sms_code`` is on (400 ``invalid_sms_code``)."""
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_register(actor=None, **serializer.validated_data)
        token = services.member_token_issue(actor=member, member=member)
        return Response({"token": token}, status=status.HTTP_201_CREATED)


class SmsCodeThrottle(ScopedRateThrottle):
    """Raw request cap per client IP (risk control's limits count completed sends).

    The rate is ``DEFAULT_THROTTLE_RATES["member_sms_code"]`` when settings name it,
    else the same 5/min as registration.
    """

    scope_attr = "throttle_scope"
    fallback_rate = "5/min"

    def get_rate(self):
        return self.THROTTLE_RATES.get(self.scope) or self.fallback_rate


class SmsCodeView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SmsCodeThrottle]
    throttle_scope = "member_sms_code"

    @extend_schema(
        auth=[],
        request=SmsCodeRequestSerializer,
        responses={202: None},
        tags=["storefront"],
    )
    def post(self, request):
        """Send an SMS verification code to the phone (registration).

        Always 202 when accepted, whether or not the phone is already registered (no
        account enumeration); 429 ``rate_limited`` over risk control's limits per
        phone, IP and device (``X-Device-Id``)."""
        serializer = SmsCodeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sms_code_send(
            actor=None,
            phone=serializer.validated_data["phone"],
            purpose=serializer.validated_data["purpose"],
            client_ip=client_ip_from_meta(request.META),
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "member_login"

    @extend_schema(
        auth=[],
        request=CredentialsSerializer,
        responses={200: TokenSerializer},
        tags=["storefront"],
    )
    def post(self, request):
        """Log in by phone + password: answer a bearer token."""
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _member, token = services.member_login(
            actor=None, **serializer.validated_data, client_ip=client_ip_from_meta(request.META)
        )
        return Response({"token": token})


class LogoutView(MemberView, APIView):
    @extend_schema(request=None, responses={204: None}, tags=["storefront"])
    def post(self, request):
        """End this token's session."""
        services.member_logout(actor=request.user, member=request.user, key=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(MemberView, APIView):
    @extend_schema(responses=MeSerializer, tags=["storefront"])
    def get(self, request):
        """The member's own data, unmasked."""
        member = selectors.member_get(actor=request.user, pk=request.user.pk)
        return Response(MeSerializer(member).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer, tags=["storefront"])
    def patch(self, request):
        """Change name, gender, birthday (once) and notification opt-outs."""
        serializer = MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        opt_outs = data.pop("opt_outs", None)
        member = request.user
        if data:
            member = services.member_update_profile(actor=member, member=member, **data)
        if opt_outs is not None:
            services.member_set_opt_outs(actor=member, member=member, kinds=opt_outs)
        return Response(MeSerializer(member).data)


class PointsPagination(DefaultCursorPagination):
    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        member = self.request.user
        response.data["balance"] = member.points_balance
        response.data["available"] = selectors.points_available(actor=member, member=member)
        response.data["expiring"] = PointsLotSerializer(
            selectors.points_lot_list(actor=member, member=member, holding_only=True)[:5], many=True
        ).data
        return response

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"]["balance"] = {"type": "integer"}
        result["properties"]["available"] = {"type": "integer"}
        result["properties"]["expiring"] = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "reason": {"type": "string"},
                    "points": {"type": "integer"},
                    "remaining": {"type": "integer"},
                    "earned_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": "string", "format": "date-time"},
                },
            },
        }
        result["required"] = [*result.get("required", []), "balance", "available", "expiring"]
        return result


class MyPointsView(MemberView, mixins.ListModelMixin, GenericAPIView):
    serializer_class = PointsEntrySerializer
    pagination_class = PointsPagination
    filter_backends = [ScopedFilterBackend]
    filterset_class = PointsEntryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PointsEntry.objects.none()
        return selectors.points_entry_list(actor=self.request.user)

    @extend_schema(tags=["storefront"])
    def get(self, request, *args, **kwargs):
        """The points balance, what expires soonest, and the points ledger (newest
        first; ``?reason=sign_in`` …)."""
        return self.list(request, *args, **kwargs)


class MyCouponsView(MemberView, mixins.ListModelMixin, GenericAPIView):
    serializer_class = CouponSerializer
    filter_backends = [ScopedFilterBackend]
    filterset_class = CouponFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Coupon.objects.none()
        return selectors.coupon_list(actor=self.request.user)

    @extend_schema(tags=["storefront"])
    def get(self, request, *args, **kwargs):
        """The member's coupon wallet (``?status=available`` …)."""
        return self.list(request, *args, **kwargs)


class SignInView(MemberView, APIView):
    @extend_schema(request=None, responses={201: SignInResultSerializer}, tags=["storefront"])
    def post(self, request):
        """Daily check-in: grants the sign-in points once a day (409 when done)."""
        entry = services.member_sign_in(actor=request.user, member=request.user)
        return Response(
            {
                "date": timezone.localdate(entry.created_at),
                "points": entry.points,
                "balance": entry.balance_after,
            },
            status=status.HTTP_201_CREATED,
        )


class CouponTemplateListView(MemberView, mixins.ListModelMixin, GenericAPIView):
    serializer_class = ClaimableCouponTemplateSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CouponTemplate.objects.none()
        return selectors.coupon_template_list(actor=self.request.user)

    @extend_schema(tags=["storefront"])
    def get(self, request, *args, **kwargs):
        """Coupons members can claim now."""
        return self.list(request, *args, **kwargs)


class CouponClaimView(MemberView, APIView):
    @extend_schema(request=None, responses={201: CouponSerializer}, tags=["storefront"])
    @idempotent
    def post(self, request, pk: int):
        """Claim one coupon of this template into the wallet (stock and limit checked)."""
        template = selectors.coupon_template_get(actor=request.user, pk=pk)
        coupon = services.coupon_claim(actor=request.user, member=request.user, template=template)
        return Response(CouponSerializer(coupon).data, status=status.HTTP_201_CREATED)


class AddressViewSet(MemberView, viewsets.GenericViewSet):
    lookup_value_regex = r"\d+"
    serializer_class = AddressSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Address.objects.none()
        return selectors.address_list(actor=self.request.user)

    @extend_schema(tags=["storefront"], responses=AddressSerializer(many=True))
    def list(self, request):
        """The member's addresses, the default first."""
        return Response(AddressSerializer(self.get_queryset(), many=True).data)

    @extend_schema(tags=["storefront"])
    def retrieve(self, request, pk=None):
        return Response(AddressSerializer(selectors.address_get(actor=request.user, pk=pk)).data)

    @extend_schema(
        tags=["storefront"], request=AddressInputSerializer, responses={201: AddressSerializer}
    )
    @idempotent(
        replay=lambda view, request, pk: (
            AddressSerializer(selectors.address_get(actor=request.user, pk=pk)).data
        )
    )
    def create(self, request):
        """Add an address (its province decides the sales region); ``Idempotency-Key``
        honoured, the stored answer holding the address id only (no personal data)."""
        serializer = AddressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = services.address_create(
            actor=request.user, member=request.user, **serializer.validated_data
        )
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["storefront"], request=AddressPatchSerializer, responses=AddressSerializer)
    def partial_update(self, request, pk=None):
        address = selectors.address_get(actor=request.user, pk=pk)
        serializer = AddressPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = services.address_update(
            actor=request.user, address=address, **serializer.validated_data
        )
        return Response(AddressSerializer(address).data)

    @extend_schema(tags=["storefront"], responses={204: None})
    def destroy(self, request, pk=None):
        address = selectors.address_get(actor=request.user, pk=pk)
        services.address_delete(actor=request.user, address=address)
        return Response(status=status.HTTP_204_NO_CONTENT)
