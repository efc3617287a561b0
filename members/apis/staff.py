"""Staff endpoints under ``/api/v1/members/``: scoped, permission-checked, masked."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mall.core.api import ExportColumn, ScopedExportMixin, ScopedViewSetMixin
from mall.core.exceptions import NotFound
from mall.core.permissions import HasActionPermissions

from .. import selectors, services
from ..exceptions import CouponTemplateNotFound, InvalidLevelRule, MemberNotFound
from ..models import Address, CouponTemplate, Member
from ..permissions import (
    ADD_COUPON_TEMPLATE,
    ADJUST_MEMBER_GROWTH,
    ADJUST_MEMBER_POINTS,
    CHANGE_COUPON_TEMPLATE,
    CHANGE_LEVEL,
    MANAGE_MEMBER_STATUS,
    VIEW_ADDRESS,
    VIEW_COUPON,
    VIEW_COUPON_TEMPLATE,
    VIEW_GROWTH,
    VIEW_LEVEL,
    VIEW_MEMBER,
    VIEW_POINTS,
)
from ..selectors import member_filter, parse_id
from ..serializers import (
    AdjustSerializer,
    CouponSerializer,
    CouponTemplateSerializer,
    GrantCouponSerializer,
    GrowthEntrySerializer,
    LevelSerializer,
    LevelUpdateSerializer,
    MemberFilterSerializer,
    PointsEntrySerializer,
    StaffAddressSerializer,
    StaffMemberSerializer,
    StatusChangeSerializer,
)

MEMBER_FILTERS = [
    OpenApiParameter("phone", OpenApiTypes.STR, description="Full phone number (exact)."),
    OpenApiParameter("level", OpenApiTypes.STR, description="Level code, e.g. VIP3."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(Member.Status.values)),
    OpenApiParameter("region", OpenApiTypes.STR, description="Sales region code."),
]


class MemberViewSet(ScopedViewSetMixin, ScopedExportMixin, viewsets.GenericViewSet):
    """Members in the caller's data scope; personal data masked without PII permission."""

    scope_model = Member
    lookup_value_regex = r"\d+"
    serializer_class = StaffMemberSerializer
    filter_backends: list = []
    required_permissions = {
        "addresses": [VIEW_MEMBER, VIEW_ADDRESS],
        "points": [VIEW_MEMBER, VIEW_POINTS],
        "growth": [VIEW_MEMBER, VIEW_GROWTH],
        "coupons": [VIEW_MEMBER, VIEW_COUPON],
        "set_status": [VIEW_MEMBER, MANAGE_MEMBER_STATUS],
        "adjust_points": [VIEW_MEMBER, ADJUST_MEMBER_POINTS],
        "adjust_growth": [VIEW_MEMBER, ADJUST_MEMBER_GROWTH],
    }
    export_filename = "members"
    export_pii_filters = ("phone",)  # a full phone number is never stored in a job
    export_columns = [
        ExportColumn("id", "pk"),
        ExportColumn("phone", "phone", pii="phone"),
        ExportColumn("name", "name", pii="name"),
        ExportColumn("level", "level.code"),
        ExportColumn("growth", "growth"),
        ExportColumn("points", "points_balance"),
        ExportColumn("status", "status"),
        ExportColumn("region", "region.code"),
        ExportColumn("registered_at", "created_at"),
    ]

    def get_base_queryset(self):
        return Member.objects.select_related("level", "region")

    def filter_queryset(self, queryset):
        filters = MemberFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return member_filter(queryset, **filters.validated_data)

    def get_object(self):
        pk = parse_id(self.kwargs["pk"])
        member = self.get_queryset().filter(pk=pk).first() if pk else None
        if member is None:
            raise MemberNotFound()
        return member

    def _page(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(parameters=MEMBER_FILTERS, tags=["members"])
    def list(self, request):
        """Members in scope; ``?phone=`` finds a member by the full phone number."""
        return self._page(self.filter_queryset(self.get_queryset()), StaffMemberSerializer)

    @extend_schema(tags=["members"])
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        responses=StaffAddressSerializer(many=True),
        tags=["members"],
        operation_id="v1_members_member_addresses",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def addresses(self, request, pk=None):
        """The member's addresses (masked without PII permission)."""
        member = self.get_object()
        rows = selectors.address_visible_to(request.user).filter(member=member)
        return Response(
            StaffAddressSerializer(rows, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(responses=PointsEntrySerializer(many=True), tags=["members"])
    @action(detail=True, methods=["get"])
    def points(self, request, pk=None):
        """The member's points ledger, newest first."""
        member = self.get_object()
        rows = selectors.points_entries_visible_to(request.user).filter(member=member)
        return self._page(rows, PointsEntrySerializer)

    @extend_schema(responses=GrowthEntrySerializer(many=True), tags=["members"])
    @action(detail=True, methods=["get"])
    def growth(self, request, pk=None):
        """The member's growth ledger, newest first."""
        member = self.get_object()
        rows = selectors.growth_entries_visible_to(request.user).filter(member=member)
        return self._page(rows, GrowthEntrySerializer)

    @extend_schema(responses=CouponSerializer(many=True), tags=["members"])
    @action(detail=True, methods=["get"])
    def coupons(self, request, pk=None):
        """The member's coupon wallet."""
        member = self.get_object()
        rows = selectors.coupons_visible_to(request.user).filter(member=member)
        return self._page(rows, CouponSerializer)

    @extend_schema(
        request=StatusChangeSerializer, responses=StaffMemberSerializer, tags=["members"]
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Freeze, unfreeze or close the member (with a reason)."""
        member = self.get_object()
        serializer = StatusChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_set_status(
            actor=request.user, member=member, **serializer.validated_data
        )
        return Response(self.get_serializer(member).data)

    @extend_schema(
        request=AdjustSerializer, responses={201: PointsEntrySerializer}, tags=["members"]
    )
    @action(detail=True, methods=["post"], url_path="adjust-points")
    def adjust_points(self, request, pk=None):
        """Add or remove points by hand; ``reference`` makes a retry harmless."""
        member = self.get_object()
        serializer = AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.points_adjust(
            actor=request.user,
            member=member,
            points=data["amount"],
            reference=f"staff:{request.user.pk}:{member.pk}:{data['reference']}",
            note=data["note"],
        )
        return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AdjustSerializer, responses={201: GrowthEntrySerializer}, tags=["members"]
    )
    @action(detail=True, methods=["post"], url_path="adjust-growth")
    def adjust_growth(self, request, pk=None):
        """Add or remove growth by hand (the level follows); ``reference`` makes a retry
        harmless."""
        member = self.get_object()
        serializer = AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.growth_adjust(
            actor=request.user,
            member=member,
            amount=data["amount"],
            reference=f"staff:{request.user.pk}:{member.pk}:{data['reference']}",
            note=data["note"],
        )
        return Response(GrowthEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class CouponTemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Coupon templates (reference data: view/add/change permissions)."""

    permission_classes = [HasActionPermissions]
    lookup_value_regex = r"\d+"
    serializer_class = CouponTemplateSerializer
    filter_backends: list = []
    required_permissions = {
        "list": [VIEW_COUPON_TEMPLATE],
        "retrieve": [VIEW_COUPON_TEMPLATE],
        "create": [ADD_COUPON_TEMPLATE],
        "partial_update": [CHANGE_COUPON_TEMPLATE],
        "grant": [CHANGE_COUPON_TEMPLATE, VIEW_MEMBER],
    }

    def get_queryset(self):
        return selectors.coupon_template_list(actor=self.request.user)

    def get_object(self):
        pk = parse_id(self.kwargs["pk"])
        template = self.get_queryset().filter(pk=pk).first() if pk else None
        if template is None:
            raise CouponTemplateNotFound()
        return template

    @extend_schema(tags=["members"], responses={201: CouponTemplateSerializer})
    def create(self, request):
        serializer = CouponTemplateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = services.coupon_template_create(actor=request.user, **serializer.validated_data)
        return Response(CouponTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["members"])
    def partial_update(self, request, pk=None):
        template = self.get_object()
        serializer = CouponTemplateSerializer(template, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        template = services.coupon_template_update(
            actor=request.user, template=template, **serializer.validated_data
        )
        return Response(CouponTemplateSerializer(template).data)

    @extend_schema(
        request=GrantCouponSerializer, responses={201: CouponSerializer}, tags=["members"]
    )
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        """Grant one coupon to a member in scope (compensation); stock is respected."""
        template = self.get_object()
        serializer = GrantCouponSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = selectors.member_get(
            actor=request.user, member_id=serializer.validated_data["member"]
        )
        coupon = services.coupon_issue(
            member=member, template=template, source="grant", actor=request.user
        )
        return Response(CouponSerializer(coupon).data, status=status.HTTP_201_CREATED)


class LevelViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Level rules (VIP1–VIP7): benefits here, thresholds are system parameters."""

    permission_classes = [HasActionPermissions]
    lookup_value_regex = r"\d+"
    serializer_class = LevelSerializer
    pagination_class = None
    filter_backends: list = []
    required_permissions = {"list": [VIEW_LEVEL], "partial_update": [CHANGE_LEVEL]}

    def get_queryset(self):
        return selectors.level_list()

    @extend_schema(request=LevelUpdateSerializer, responses=LevelSerializer, tags=["members"])
    def partial_update(self, request, pk=None):
        level_id = parse_id(pk)
        level = self.get_queryset().filter(pk=level_id).first() if level_id else None
        if level is None:
            raise InvalidLevelRule(status_code=404, code="level_not_found")
        serializer = LevelUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "birthday_coupon" in changes and changes["birthday_coupon"] is not None:
            template = CouponTemplate.objects.filter(
                pk=parse_id(changes["birthday_coupon"])
            ).first()
            if template is None:
                raise InvalidLevelRule(fields={"birthday_coupon": ["Unknown coupon template."]})
            changes["birthday_coupon"] = template
        level = services.level_rule_update(actor=request.user, level=level, **changes)
        return Response(LevelSerializer(level).data)


class AddressViewSet(
    ScopedViewSetMixin,
    ScopedExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Members' addresses in the caller's scope (by the address's province region)."""

    scope_model = Address
    lookup_value_regex = r"\d+"
    serializer_class = StaffAddressSerializer
    filter_backends: list = []
    required_permissions = {
        "list": [VIEW_ADDRESS],
        "retrieve": [VIEW_ADDRESS],
        "export": [VIEW_ADDRESS],
    }
    export_filename = "member-addresses"
    export_columns = [
        ExportColumn("id", "pk"),
        ExportColumn("member", "member_id"),
        ExportColumn("name", "recipient", pii="name"),
        ExportColumn("phone", "phone", pii="phone"),
        ExportColumn("province", "province.name"),
        ExportColumn("region", "region.code"),
        ExportColumn("city", "city"),
        ExportColumn("detail", "detail", pii="address"),
    ]

    def get_base_queryset(self):
        return Address.objects.select_related("province", "region")

    def get_object(self):
        pk = parse_id(self.kwargs["pk"])
        address = self.get_queryset().filter(pk=pk).first() if pk else None
        if address is None:
            raise NotFound()
        return address

    @extend_schema(tags=["members"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=["members"])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
