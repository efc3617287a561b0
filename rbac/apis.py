"""Staff API under ``/api/v1/rbac/``: reads for auditors, writes through services."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.api import (
    EXPORT_FORMATS,
    EXPORT_RENDERERS,
    ExportColumn,
    MaskedField,
    ScopedExportMixin,
    ScopedViewSetMixin,
)
from mall.core.pagination import DefaultCursorPagination
from mall.core.permissions import IsStaffUser

from . import permissions as perms
from . import selectors, services
from .exports import access_review_export
from .models import (
    AccessReview,
    AccessReviewLine,
    Department,
    PermissionRequest,
    Role,
    RoleAssignment,
    SalesRegion,
    StaffProfile,
)
from .scoping import scope_describe, user_roles

User = get_user_model()


# --- serializers --------------------------------------------------------------------------


class SalesRegionSerializer(serializers.ModelSerializer):
    provinces = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = SalesRegion
        fields = ["id", "code", "name", "provinces"]


class DepartmentSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(read_only=True, slug_field="code")
    head = serializers.SlugRelatedField(read_only=True, slug_field="username")
    default_roles = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Department
        fields = ["id", "code", "name", "parent", "path", "head", "default_roles"]


class RoleSerializer(serializers.ModelSerializer):
    regions = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    department = serializers.SlugRelatedField(read_only=True, slug_field="code")
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "name",
            "description",
            "scope_kind",
            "regions",
            "department",
            "permissions",
            "is_active",
        ]

    def get_permissions(self, role) -> list[str]:
        return sorted(
            f"{p.content_type.app_label}.{p.codename}" for p in role.group.permissions.all()
        )


class StaffProfileSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = MaskedField(kind="name", source="user.get_full_name")
    department = serializers.SlugRelatedField(read_only=True, slug_field="code")
    phone = MaskedField(kind="phone")
    roles = serializers.SerializerMethodField()

    class Meta:
        model = StaffProfile
        fields = [
            "id",
            "username",
            "name",
            "employee_number",
            "department",
            "phone",
            "joined_on",
            "left_on",
            "is_active",
            "roles",
        ]

    def get_roles(self, profile) -> list[str]:
        roles = (getattr(group, "role", None) for group in profile.user.groups.all())
        return sorted(role.code for role in roles if role is not None)


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(read_only=True, slug_field="username")
    role = serializers.SlugRelatedField(read_only=True, slug_field="code")
    granted_by = serializers.SlugRelatedField(read_only=True, slug_field="username")

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "source", "granted_by", "granted_at", "expires_at"]


class PermissionRequestSerializer(serializers.ModelSerializer):
    requester = serializers.SlugRelatedField(read_only=True, slug_field="username")
    role = serializers.SlugRelatedField(read_only=True, slug_field="code")
    head_approver = serializers.SlugRelatedField(read_only=True, slug_field="username")
    tech_approver = serializers.SlugRelatedField(read_only=True, slug_field="username")
    decided_by = serializers.SlugRelatedField(read_only=True, slug_field="username")

    class Meta:
        model = PermissionRequest
        fields = [
            "id",
            "requester",
            "role",
            "reason",
            "grant_expires_at",
            "status",
            "head_approver",
            "head_approved_at",
            "tech_approver",
            "tech_approved_at",
            "decided_by",
            "decided_at",
            "rejection_reason",
            "created_at",
        ]


class PermissionRequestCreateSerializer(serializers.Serializer):
    role = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.filter(is_active=True)
    )
    reason = serializers.CharField(max_length=2000)
    grant_expires_at = serializers.DateTimeField(required=False, allow_null=True)


class RbacReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class PermissionRequestApproveSerializer(serializers.Serializer):
    capacity = serializers.ChoiceField(choices=["head", "tech"], required=False)


class RoleAssignBodySerializer(serializers.Serializer):
    user = serializers.CharField(help_text="username")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class RoleRevokeBodySerializer(serializers.Serializer):
    user = serializers.CharField(help_text="username")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class AccessReviewSerializer(serializers.ModelSerializer):
    signed_off_by = serializers.SlugRelatedField(read_only=True, slug_field="username")

    class Meta:
        model = AccessReview
        fields = ["id", "period", "created_at", "signed_off_by", "signed_off_at"]


class AccessReviewLineSerializer(serializers.ModelSerializer):
    roles = serializers.JSONField()
    permissions = serializers.ListField(child=serializers.CharField())
    scope = serializers.ListField(child=serializers.CharField())
    object_grants = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = AccessReviewLine
        fields = [
            "id",
            "username",
            "department",
            "is_superuser",
            "roles",
            "permissions",
            "scope",
            "object_grants",
        ]


class StaffMeSerializer(serializers.Serializer):
    username = serializers.CharField()
    department = serializers.CharField(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())
    scope = serializers.ListField(child=serializers.CharField())


# --- filters ------------------------------------------------------------------------------


class StrictBooleanField(forms.Field):
    """``true`` / ``false`` only: anything else is a 400, never silently "no filter"."""

    def to_python(self, value):
        if value is None:
            return None
        if value in (True, "true", "True"):
            return True
        if value in (False, "false", "False"):
            return False
        raise forms.ValidationError(_("Must be true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class RoleFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = Role
        fields = ["scope_kind", "is_active"]


class StaffFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = StaffProfile
        fields = ["is_active", "department"]


# --- viewsets -----------------------------------------------------------------------------


class _ReadViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    pass


class SalesRegionViewSet(_ReadViewSet):
    scope_model = SalesRegion
    queryset = SalesRegion.objects.prefetch_related("provinces")
    serializer_class = SalesRegionSerializer
    pagination_class = None
    required_permissions = {"list": [], "retrieve": []}  # reference data for every staff


class DepartmentViewSet(_ReadViewSet):
    scope_model = Department
    serializer_class = DepartmentSerializer

    def get_base_queryset(self):
        return Department.objects.select_related("parent", "head").prefetch_related("default_roles")


class RoleViewSet(_ReadViewSet):
    scope_model = Role
    serializer_class = RoleSerializer
    filterset_class = RoleFilter
    required_permissions = {"assign": [perms.ASSIGN_ROLE], "revoke": [perms.ASSIGN_ROLE]}

    def get_base_queryset(self):
        return Role.objects.select_related("department").prefetch_related(
            "regions", "group__permissions__content_type"
        )

    @extend_schema(request=RoleAssignBodySerializer, responses={201: RoleAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        role = self.get_object()
        body = RoleAssignBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = get_object_or_404(
            selectors.user_list(user=request.user), username=body.validated_data["user"]
        )
        assignment = services.role_assign(
            actor=request.user,
            user=user,
            role=role,
            expires_at=body.validated_data.get("expires_at"),
        )
        return Response(RoleAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoleRevokeBodySerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        role = self.get_object()
        body = RoleRevokeBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = get_object_or_404(
            selectors.user_list(user=request.user), username=body.validated_data["user"]
        )
        services.role_revoke(
            actor=request.user, user=user, role=role, reason=body.validated_data.get("reason", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffViewSet(ScopedExportMixin, _ReadViewSet):
    """Staff profiles in your data scope; `deactivate` a leaver; export the list."""

    scope_model = StaffProfile
    serializer_class = StaffProfileSerializer
    filterset_class = StaffFilter
    required_permissions = {"deactivate": [perms.DEACTIVATE_STAFF]}
    export_filename = "staff"
    export_columns = [
        ExportColumn("id", "id"),
        ExportColumn("employee_number", "employee_number"),
        ExportColumn("username", "user.username"),
        ExportColumn("name", lambda p: p.user.get_full_name(), pii="name"),
        ExportColumn("department", "department.name"),
        ExportColumn("phone", "phone", pii="phone"),
        ExportColumn("joined_on", "joined_on"),
        ExportColumn("left_on", "left_on"),
        ExportColumn("is_active", "is_active"),
    ]

    def get_base_queryset(self):
        return StaffProfile.objects.select_related("user", "department").prefetch_related(
            "user__groups__role"
        )

    @extend_schema(request=RbacReasonSerializer, responses={200: StaffProfileSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        profile = self.get_object()
        body = RbacReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.staff_deactivate(
            actor=request.user, user=profile.user, reason=body.validated_data["reason"]
        )
        profile = self.get_base_queryset().get(pk=profile.pk)
        return Response(self.get_serializer(profile).data)


class RoleAssignmentViewSet(_ReadViewSet):
    scope_model = RoleAssignment
    serializer_class = RoleAssignmentSerializer
    filterset_fields = ["role", "source"]

    def get_base_queryset(self):
        return RoleAssignment.objects.select_related("user", "role", "granted_by")


class PermissionRequestViewSet(ScopedExportMixin, mixins.CreateModelMixin, _ReadViewSet):
    """Requests: every staff member may ask; approvers see what waits for them."""

    scope_model = PermissionRequest
    serializer_class = PermissionRequestSerializer
    filterset_fields = ["status", "role"]
    required_permissions = {
        "list": [],
        "retrieve": [],
        "create": [],
        "approve": [],
        "reject": [],
        "cancel": [],
        "awaiting_me": [],
        "export": [perms.VIEW_PERMISSION_REQUEST],
    }
    export_filename = "permission-requests"
    export_columns = [
        ExportColumn("id", "id"),
        ExportColumn("requester", "requester.username"),
        ExportColumn("role", "role.code"),
        ExportColumn("status", "status"),
        ExportColumn("reason", "reason"),
        ExportColumn("head_approver", "head_approver.username"),
        ExportColumn("tech_approver", "tech_approver.username"),
        ExportColumn("created_at", "created_at"),
    ]

    def get_base_queryset(self):
        return PermissionRequest.objects.select_related(
            "requester", "role", "head_approver", "tech_approver", "decided_by"
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PermissionRequest.objects.none()
        return selectors.permission_request_list(user=self.request.user)

    @extend_schema(
        request=PermissionRequestCreateSerializer, responses={201: PermissionRequestSerializer}
    )
    def create(self, request, *args, **kwargs):
        body = PermissionRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.permission_request_create(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PermissionRequestApproveSerializer, responses={200: PermissionRequestSerializer}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        item = self.get_object()
        body = PermissionRequestApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.permission_request_approve(
            actor=request.user,
            permission_request=item,
            capacity=body.validated_data.get("capacity"),
        )
        return Response(self.get_serializer(item).data)

    @extend_schema(request=RbacReasonSerializer, responses={200: PermissionRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        item = self.get_object()
        body = RbacReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.permission_request_reject(
            actor=request.user, permission_request=item, reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None, responses={200: PermissionRequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        item = services.permission_request_cancel(
            actor=request.user, permission_request=self.get_object()
        )
        return Response(self.get_serializer(item).data)

    @extend_schema(responses={200: PermissionRequestSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="awaiting-me")
    def awaiting_me(self, request):
        queryset = selectors.permission_requests_awaiting(user=request.user).select_related(
            "head_approver", "tech_approver", "decided_by"
        )
        queryset = self.filter_queryset(queryset)  # the documented filters apply here too
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AccessReviewViewSet(_ReadViewSet):
    scope_model = AccessReview
    serializer_class = AccessReviewSerializer
    required_permissions = {
        "lines": [perms.VIEW_ACCESS_REVIEW],
        "download": [perms.VIEW_ACCESS_REVIEW],
    }

    def get_base_queryset(self):
        return AccessReview.objects.select_related("signed_off_by")

    @extend_schema(responses={200: AccessReviewLineSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        review = self.get_object()
        queryset = selectors.access_review_lines(user=request.user, review=review)
        paginator = DefaultCursorPagination()
        paginator.ordering = "username"
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(AccessReviewLineSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(EXPORT_FORMATS), required=False)
        ],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): (
                OpenApiResponse(OpenApiTypes.BINARY, description="Excel file")
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file"),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="download",
        renderer_classes=EXPORT_RENDERERS,
    )
    def download(self, request, pk=None):
        review = self.get_object()
        fmt = request.query_params.get("format", "xlsx")
        return access_review_export(user=request.user, review=review, fmt=fmt)


class MeView(APIView):
    """The caller's own roles, effective permissions and data scope."""

    permission_classes = [IsStaffUser]

    @extend_schema(responses={200: StaffMeSerializer})
    def get(self, request):
        user = request.user
        profile = StaffProfile.objects.select_related("department").filter(user=user).first()
        data = {
            "username": user.get_username(),
            "department": profile.department.code if profile and profile.department else None,
            "roles": sorted(user_roles(user).values_list("code", flat=True)),
            "permissions": sorted(user.get_all_permissions()),
            "scope": scope_describe(user),
        }
        return Response(StaffMeSerializer(data).data)
