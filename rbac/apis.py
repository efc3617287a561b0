"""Staff API under ``/api/v1/rbac/``: reads for auditors, writes through services."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.api import (
    EXPORT_FORMATS,
    EXPORT_RENDERERS,
    ExportColumn,
    MaskedField,
    ScopedExportMixin,
    ScopedViewSet,
)
from mall.core.pagination import DefaultCursorPagination
from mall.core.permissions import IsStaffUser

from . import permissions as perms
from . import selectors, services
from .exports import access_review_export
from .filters import (
    PermissionRequestFilter,
    RoleAssignmentFilter,
    RoleFilter,
    StaffProfileFilter,
)
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
    department = serializers.SlugRelatedField(read_only=True, slug_field="code", allow_null=True)
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
    role = serializers.SlugRelatedField(slug_field="code", queryset=Role.objects.none())
    reason = serializers.CharField(max_length=2000)
    grant_expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # active roles, read through the selector
            roles = selectors.role_list(actor=request.user).filter(is_active=True)
            self.fields["role"].queryset = roles


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


# --- viewsets -----------------------------------------------------------------------------


class SalesRegionViewSet(ScopedViewSet):
    """Sales regions and their provinces: reference data every staff member may read."""

    serializer_class = SalesRegionSerializer
    list_selector = selectors.sales_region_list
    get_selector = selectors.sales_region_get
    pagination_class = None  # a short fixed list
    required_permissions = {"list": [], "retrieve": []}


class DepartmentViewSet(ScopedViewSet):
    serializer_class = DepartmentSerializer
    list_selector = selectors.department_list
    get_selector = selectors.department_get


class RoleViewSet(ScopedViewSet):
    serializer_class = RoleSerializer
    list_selector = selectors.role_list
    get_selector = selectors.role_get
    filterset_class = RoleFilter
    required_permissions = {"assign": [perms.ASSIGN_ROLE], "revoke": [perms.ASSIGN_ROLE]}

    @extend_schema(request=RoleAssignBodySerializer, responses={201: RoleAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        role = self.get_object()
        data = self.validated(RoleAssignBodySerializer)
        assignment = services.role_assign(
            actor=request.user,
            user=selectors.user_get(actor=request.user, username=data["user"]),
            role=role,
            expires_at=data.get("expires_at"),
        )
        # Not self.respond(): that re-reads through this viewset's (role) selector.
        data = RoleAssignmentSerializer(assignment, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoleRevokeBodySerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        role = self.get_object()
        data = self.validated(RoleRevokeBodySerializer)
        services.role_revoke(
            actor=request.user,
            user=selectors.user_get(actor=request.user, username=data["user"]),
            role=role,
            reason=data.get("reason", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffProfileViewSet(ScopedExportMixin, ScopedViewSet):
    """Staff profiles (``/staff/``): names and phones masked without the PII permission."""

    serializer_class = StaffProfileSerializer
    list_selector = selectors.staff_profile_list
    get_selector = selectors.staff_profile_get
    filterset_class = StaffProfileFilter
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

    @extend_schema(request=RbacReasonSerializer, responses={200: StaffProfileSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        profile = self.get_object()
        data = self.validated(RbacReasonSerializer)
        services.staff_deactivate(actor=request.user, user=profile.user, reason=data["reason"])
        return self.respond(profile)


class RoleAssignmentViewSet(ScopedViewSet):
    serializer_class = RoleAssignmentSerializer
    list_selector = selectors.role_assignment_list
    get_selector = selectors.role_assignment_get
    filterset_class = RoleAssignmentFilter


class PermissionRequestViewSet(ScopedExportMixin, ScopedViewSet):
    """Requests: every staff member may ask; approvers see what waits for them."""

    serializer_class = PermissionRequestSerializer
    list_selector = selectors.permission_request_list
    get_selector = selectors.permission_request_get
    filterset_class = PermissionRequestFilter
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

    @extend_schema(
        request=PermissionRequestCreateSerializer, responses={201: PermissionRequestSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = self.validated(PermissionRequestCreateSerializer)
        created = services.permission_request_create(actor=request.user, **data)
        return self.respond(created, status.HTTP_201_CREATED)

    @extend_schema(
        request=PermissionRequestApproveSerializer, responses={200: PermissionRequestSerializer}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        item = self.get_object()
        data = self.validated(PermissionRequestApproveSerializer)
        item = services.permission_request_approve(
            actor=request.user, permission_request=item, capacity=data.get("capacity")
        )
        return self.respond(item)

    @extend_schema(request=RbacReasonSerializer, responses={200: PermissionRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        item = self.get_object()
        data = self.validated(RbacReasonSerializer)
        item = services.permission_request_reject(
            actor=request.user, permission_request=item, reason=data["reason"]
        )
        return self.respond(item)

    @extend_schema(request=None, responses={200: PermissionRequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        item = services.permission_request_cancel(
            actor=request.user, permission_request=self.get_object()
        )
        return self.respond(item)

    @extend_schema(responses={200: PermissionRequestSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="awaiting-me")
    def awaiting_me(self, request):
        """Pending requests waiting for the caller's approval (the documented filters apply)."""
        queryset = self.filter_queryset(selectors.permission_requests_awaiting(actor=request.user))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AccessReviewViewSet(ScopedViewSet):
    serializer_class = AccessReviewSerializer
    list_selector = selectors.access_review_list
    get_selector = selectors.access_review_get
    required_permissions = {
        "lines": [perms.VIEW_ACCESS_REVIEW],
        "download": [perms.VIEW_ACCESS_REVIEW],
    }

    @extend_schema(responses={200: AccessReviewLineSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        review = self.get_object()
        queryset = selectors.access_review_line_list(actor=request.user, review=review)
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
    """The caller's own roles, effective permissions and data scope.

    Not a row resource (it describes the caller, and every staff member may read it
    whatever their function permissions), so it stays a plain view over a selector.
    """

    permission_classes = [IsStaffUser]

    @extend_schema(responses={200: StaffMeSerializer})
    def get(self, request):
        return Response(StaffMeSerializer(selectors.staff_access_get(actor=request.user)).data)
