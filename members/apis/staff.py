"""Staff endpoints under ``/api/v1/members/``: scoped, permission-checked, masked.

Every viewset is a kernel :class:`~mall.core.api.ScopedViewSet` over the app's
selectors (``members/selectors.py``) with a FilterSet from ``members/filters.py``;
writes are actions that validate with a serializer and call one service.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from mall.core.api import ExportColumn, ScopedExportMixin, ScopedViewSet

from .. import selectors, services
from ..exceptions import CouponTemplateNotFound, InvalidLevelRule
from ..filters import (
    AddressFilter,
    CouponFilter,
    CouponTemplateFilter,
    GrowthEntryFilter,
    MemberFilter,
    PointsEntryFilter,
)
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
from ..serializers import (
    AdjustSerializer,
    CouponSerializer,
    CouponTemplateSerializer,
    GrantCouponSerializer,
    GrowthEntrySerializer,
    LevelSerializer,
    LevelUpdateSerializer,
    PointsEntrySerializer,
    StaffAddressSerializer,
    StaffMemberSerializer,
    StatusChangeSerializer,
)

TAGS = ["members"]


def _staff_reference(request, member, reference: str) -> str:
    """A hand adjustment's ledger reference: unique per staff user and member."""
    return f"staff:{request.user.pk}:{member.pk}:{reference}"


@extend_schema_view(list=extend_schema(tags=TAGS), retrieve=extend_schema(tags=TAGS))
class MemberViewSet(ScopedExportMixin, ScopedViewSet):
    """Members in the caller's data scope; personal data masked without PII permission."""

    serializer_class = StaffMemberSerializer
    list_selector = selectors.member_list
    get_selector = selectors.member_get
    filterset_class = MemberFilter
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

    # The per-member lists are actions reading through these selectors (one member's
    # rows, in the caller's scope); ``get_queryset`` answers with them for those
    # actions, so their FilterSets and the schema see the right model.
    sub_list_selectors = {
        "addresses": selectors.address_list,
        "points": selectors.points_entry_list,
        "growth": selectors.growth_entry_list,
        "coupons": selectors.coupon_list,
    }

    def get_queryset(self):
        selector = self.sub_list_selectors.get(self.action)
        if selector is None:
            return super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return selector(actor=self.request.user).none()
        return selector(actor=self.request.user, member=self.get_object())

    def _sub_list(self, serializer_class):
        """Answer a page of the member's rows (``get_queryset`` for this action)."""
        rows = self.filter_queryset(self.get_queryset())
        context = self.get_serializer_context()
        if self.paginator is None:
            return Response(serializer_class(rows, many=True, context=context).data)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)

    @extend_schema(
        responses=StaffAddressSerializer(many=True),
        tags=TAGS,
        operation_id="v1_members_member_addresses",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def addresses(self, request, pk=None):
        """The member's addresses in the caller's scope (masked without PII permission)."""
        return self._sub_list(StaffAddressSerializer)

    @extend_schema(responses=PointsEntrySerializer(many=True), tags=TAGS, filters=True)
    @action(detail=True, methods=["get"], filterset_class=PointsEntryFilter)
    def points(self, request, pk=None):
        """The member's points ledger, newest first (``?reason=``)."""
        return self._sub_list(PointsEntrySerializer)

    @extend_schema(responses=GrowthEntrySerializer(many=True), tags=TAGS, filters=True)
    @action(detail=True, methods=["get"], filterset_class=GrowthEntryFilter)
    def growth(self, request, pk=None):
        """The member's growth ledger, newest first (``?reason=``)."""
        return self._sub_list(GrowthEntrySerializer)

    @extend_schema(responses=CouponSerializer(many=True), tags=TAGS, filters=True)
    @action(detail=True, methods=["get"], filterset_class=CouponFilter)
    def coupons(self, request, pk=None):
        """The member's coupon wallet (``?status=``)."""
        return self._sub_list(CouponSerializer)

    @extend_schema(request=StatusChangeSerializer, responses=StaffMemberSerializer, tags=TAGS)
    @action(detail=True, methods=["post"], url_path="status", filterset_class=None)
    def set_status(self, request, pk=None):
        """Freeze, unfreeze or close the member (with a reason)."""
        data = self.validated(StatusChangeSerializer)
        member = services.member_set_status(actor=request.user, member=self.get_object(), **data)
        return self.respond(member)

    @extend_schema(request=AdjustSerializer, responses={201: PointsEntrySerializer}, tags=TAGS)
    @action(detail=True, methods=["post"], url_path="adjust-points", filterset_class=None)
    def adjust_points(self, request, pk=None):
        """Add or remove points by hand; ``reference`` makes a retry harmless."""
        member = self.get_object()
        data = self.validated(AdjustSerializer)
        entry = services.points_adjust(
            actor=request.user,
            member=member,
            points=data["amount"],
            reference=_staff_reference(request, member, data["reference"]),
            note=data["note"],
        )
        return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AdjustSerializer, responses={201: GrowthEntrySerializer}, tags=TAGS)
    @action(detail=True, methods=["post"], url_path="adjust-growth", filterset_class=None)
    def adjust_growth(self, request, pk=None):
        """Add or remove growth by hand (the level follows); ``reference`` makes a retry
        harmless."""
        member = self.get_object()
        data = self.validated(AdjustSerializer)
        entry = services.growth_adjust(
            actor=request.user,
            member=member,
            amount=data["amount"],
            reference=_staff_reference(request, member, data["reference"]),
            note=data["note"],
        )
        return Response(GrowthEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(tags=TAGS), retrieve=extend_schema(tags=TAGS))
class CouponTemplateViewSet(ScopedViewSet):
    """Coupon templates (reference data: view/add/change permissions)."""

    serializer_class = CouponTemplateSerializer
    list_selector = selectors.coupon_template_list
    get_selector = selectors.coupon_template_get
    filterset_class = CouponTemplateFilter
    required_permissions = {
        "list": [VIEW_COUPON_TEMPLATE],
        "retrieve": [VIEW_COUPON_TEMPLATE],
        "create": [ADD_COUPON_TEMPLATE],
        "partial_update": [CHANGE_COUPON_TEMPLATE],
        "grant": [CHANGE_COUPON_TEMPLATE, VIEW_MEMBER],
    }

    @extend_schema(tags=TAGS, responses={201: CouponTemplateSerializer})
    def create(self, request):
        data = self.validated(CouponTemplateSerializer)
        template = services.coupon_template_create(actor=request.user, **data)
        return self.respond(template, status.HTTP_201_CREATED)

    @extend_schema(tags=TAGS)
    def partial_update(self, request, pk=None):
        template = self.get_object()
        data = self.validated(CouponTemplateSerializer, instance=template, partial=True)
        template = services.coupon_template_update(actor=request.user, template=template, **data)
        return self.respond(template)

    @extend_schema(request=GrantCouponSerializer, responses={201: CouponSerializer}, tags=TAGS)
    @action(detail=True, methods=["post"], filterset_class=None)
    def grant(self, request, pk=None):
        """Grant one coupon to a member in scope (compensation); stock is respected."""
        template = self.get_object()
        data = self.validated(GrantCouponSerializer)
        member = selectors.member_get(actor=request.user, pk=data["member"])
        coupon = services.coupon_issue(
            actor=request.user, member=member, template=template, source="grant"
        )
        return Response(CouponSerializer(coupon).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(tags=TAGS), retrieve=extend_schema(tags=TAGS))
class LevelViewSet(ScopedViewSet):
    """Level rules (VIP1–VIP7): benefits here, thresholds are system parameters."""

    serializer_class = LevelSerializer
    list_selector = selectors.level_list
    get_selector = selectors.level_get
    pagination_class = None
    required_permissions = {"list": [VIEW_LEVEL], "partial_update": [CHANGE_LEVEL]}

    @extend_schema(request=LevelUpdateSerializer, responses=LevelSerializer, tags=TAGS)
    def partial_update(self, request, pk=None):
        level = self.get_object()
        changes = dict(self.validated(LevelUpdateSerializer))
        if changes.get("birthday_coupon") is not None:
            try:
                changes["birthday_coupon"] = selectors.coupon_template_get(
                    actor=request.user, pk=changes["birthday_coupon"]
                )
            except CouponTemplateNotFound as exc:
                message = str(_("Unknown coupon template."))
                raise InvalidLevelRule(message, fields={"birthday_coupon": [message]}) from exc
        level = services.level_rule_update(actor=request.user, level=level, **changes)
        return self.respond(level)


@extend_schema_view(list=extend_schema(tags=TAGS), retrieve=extend_schema(tags=TAGS))
class AddressViewSet(ScopedExportMixin, ScopedViewSet):
    """Members' addresses in the caller's scope (by the address's province region)."""

    serializer_class = StaffAddressSerializer
    list_selector = selectors.address_list
    get_selector = selectors.address_get
    filterset_class = AddressFilter
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
