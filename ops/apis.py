"""Ops endpoints: the health check, system parameters, SLA clocks, the staff inbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.api import ScopedViewSet
from mall.core.pagination import DefaultCursorPagination
from mall.core.permissions import HasActionPermissions

from .filters import ParameterChangeRequestFilter, SlaClockFilter, StaffNotificationFilter
from .models import ParameterChangeRequest, SlaClock, StaffNotification
from .selectors import (
    notification_get,
    notification_list,
    notification_unread_count,
    parameter_change_request_get,
    parameter_change_request_list,
    parameter_list,
    sla_board,
    sla_clock_get,
    sla_clock_list,
)
from .services.notifications import notification_mark_read, notifications_mark_all_read
from .services.parameters import (
    parameter_change_approve,
    parameter_change_reject,
    parameter_change_request,
    parameter_change_withdraw,
)
from .services.sla import sla_clock_extend
from .sla_kinds import registered_sla_kinds


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise RuntimeError("cache did not return what was stored")
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from kombu import Connection

    # A fresh connection, not the app's pool: the check must see the broker as it is now.
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    return "ok"


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        responses={
            200: inline_serializer(
                "Health",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
            503: inline_serializer(
                "HealthFailing",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
        },
    )
    def get(self, request):
        """Report whether the database, the cache and the broker answer."""
        results: dict[str, str] = {}
        for name, check in CHECKS.items():
            try:
                results[name] = check()
            except Exception as exc:  # noqa: BLE001 - any failure is "failing", by name
                results[name] = f"failing: {type(exc).__name__}"
        healthy = all(not value.startswith("failing") for value in results.values())
        return Response(
            {"status": "ok" if healthy else "failing", "checks": results},
            status=200 if healthy else 503,
        )


# --- system parameters -------------------------------------------------------------------


class ParameterSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=["bool", "int", "decimal", "str", "list"])
    description = serializers.CharField()
    value = serializers.JSONField()
    default = serializers.JSONField()
    minimum = serializers.JSONField(allow_null=True)
    maximum = serializers.JSONField(allow_null=True)
    is_default = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.CharField()
    pending_request_id = serializers.IntegerField(allow_null=True)


class ParameterListView(APIView):
    permission_classes = [HasActionPermissions]
    required_permissions = {"GET": ["ops.view_systemparameter"]}

    @extend_schema(
        responses=inline_serializer(
            "ParameterList",
            {
                "results": ParameterSerializer(many=True),
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
            },
        )
    )
    def get(self, request):
        """List every registered system parameter with its current value and default."""
        rows = parameter_list(actor=request.user)
        data = ParameterSerializer([row.__dict__ for row in rows], many=True).data
        return Response({"results": data, "next": None, "previous": None})


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class ParameterChangeRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()
    business_approver = serializers.SerializerMethodField()
    tech_approver = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = ParameterChangeRequest
        fields = [
            "id",
            "key",
            "old_value",
            "new_value",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "business_approver",
            "business_approved_at",
            "tech_approver",
            "tech_approved_at",
            "decided_by",
            "decided_at",
            "rejection_reason",
        ]
        read_only_fields = fields

    def get_requested_by(self, obj) -> str:
        return obj.requested_by.get_username()

    def get_business_approver(self, obj) -> str | None:
        return _username(obj.business_approver)

    def get_tech_approver(self, obj) -> str | None:
        return _username(obj.tech_approver)

    def get_decided_by(self, obj) -> str | None:
        return _username(obj.decided_by)


class ParameterChangeCreateSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    new_value = serializers.JSONField(help_text="The new value (number, text, yes/no or list).")
    reason = serializers.CharField(max_length=2000)


class ParameterChangeApproveSerializer(serializers.Serializer):
    as_role = serializers.ChoiceField(choices=["business", "tech"])


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ParameterChangeRequestViewSet(ScopedViewSet):
    """System parameter change requests: ask, approve (business owner / tech lead), reject."""

    serializer_class = ParameterChangeRequestSerializer
    list_selector = parameter_change_request_list
    get_selector = parameter_change_request_get
    filterset_class = ParameterChangeRequestFilter
    required_permissions = {
        "list": ["ops.view_parameterchangerequest"],
        "retrieve": ["ops.view_parameterchangerequest"],
        "create": ["ops.add_parameterchangerequest"],
        "approve": ["ops.view_parameterchangerequest"],
        "reject": ["ops.view_parameterchangerequest"],
        "withdraw": ["ops.view_parameterchangerequest"],
    }

    @extend_schema(
        request=ParameterChangeCreateSerializer,
        responses={201: ParameterChangeRequestSerializer},
    )
    def create(self, request):
        """Ask for a parameter change; the value is checked against the parameter's rules."""
        data = self.validated(ParameterChangeCreateSerializer)
        change = parameter_change_request(actor=request.user, **data)
        return self.respond(change, 201)

    @extend_schema(
        request=ParameterChangeApproveSerializer, responses=ParameterChangeRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve as business owner or tech lead; the second approval applies the change."""
        data = self.validated(ParameterChangeApproveSerializer)
        change = parameter_change_approve(
            actor=request.user, request=self.get_object(), as_role=data["as_role"]
        )
        return self.respond(change)

    @extend_schema(request=ReasonSerializer, responses=ParameterChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a pending request with a reason."""
        data = self.validated(ReasonSerializer)
        change = parameter_change_reject(
            actor=request.user, request=self.get_object(), reason=data["reason"]
        )
        return self.respond(change)

    @extend_schema(request=None, responses=ParameterChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw one's own pending request."""
        change = parameter_change_withdraw(actor=request.user, request=self.get_object())
        return self.respond(change)


# --- SLA clocks ---------------------------------------------------------------------------


class SlaClockSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    subject_type = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "kind",
            "kind_label",
            "subject_type",
            "subject_id",
            "subject_label",
            "region",
            "owner",
            "status",
            "started_at",
            "due_at",
            "is_overdue",
            "extended_minutes",
            "breached_at",
            "escalated_at",
            "closed_at",
            "closed_outcome",
        ]
        read_only_fields = fields

    def get_kind_label(self, obj) -> str:
        declared = registered_sla_kinds().get(obj.kind)
        return str(declared.label) if declared else obj.kind

    def get_subject_type(self, obj) -> str:
        return f"{obj.subject_type.app_label}.{obj.subject_type.model}"

    def get_region(self, obj) -> str | None:
        return obj.region.code if obj.region_id else None

    def get_owner(self, obj) -> str | None:
        return _username(obj.owner)

    def get_is_overdue(self, obj) -> bool:
        if obj.status == SlaClock.Status.BREACHED:
            return True
        return obj.closed_at is None and obj.due_at < self.context["now"]


class SlaExtendSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=60 * 24 * 30)
    reason = serializers.CharField(max_length=2000)


class SlaCursorPagination(DefaultCursorPagination):
    ordering = ("due_at", "id")  # the most urgent deadline first


class SlaClockViewSet(ScopedViewSet):
    """SLA clocks in the caller's data scope, earliest deadline first; extend with a reason."""

    serializer_class = SlaClockSerializer
    list_selector = sla_clock_list
    get_selector = sla_clock_get
    filterset_class = SlaClockFilter
    pagination_class = SlaCursorPagination
    required_permissions = {
        "list": ["ops.view_slaclock"],
        "retrieve": ["ops.view_slaclock"],
        "board": ["ops.view_slaclock"],
        "extend": ["ops.view_slaclock", "ops.extend_slaclock"],
    }

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        responses=inline_serializer(
            "SlaBoard",
            {
                "results": inline_serializer(
                    "SlaBoardRow",
                    {
                        "kind": serializers.CharField(),
                        "kind_label": serializers.CharField(),
                        "running": serializers.IntegerField(),
                        "overdue": serializers.IntegerField(),
                        "next_due": serializers.DateTimeField(allow_null=True),
                    },
                    many=True,
                )
            },
        ),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def board(self, request):
        """Running clocks per kind in the caller's scope: count, overdue, next deadline."""
        kinds = registered_sla_kinds()
        rows = [
            {
                **row,
                "kind_label": str(kinds[row["kind"]].label)
                if row["kind"] in kinds
                else row["kind"],
            }
            for row in sla_board(actor=request.user)
        ]
        return Response({"results": rows})

    @extend_schema(request=SlaExtendSerializer, responses=SlaClockSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """Move a running clock's deadline later, with a reason (audited)."""
        data = self.validated(SlaExtendSerializer)
        clock = sla_clock_extend(actor=request.user, clock=self.get_object(), **data)
        return self.respond(clock)


# --- staff notifications ------------------------------------------------------------------


class StaffNotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = StaffNotification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class StaffNotificationViewSet(ScopedViewSet):
    """The caller's own notification inbox (never anybody else's)."""

    serializer_class = StaffNotificationSerializer
    list_selector = notification_list
    get_selector = notification_get
    filterset_class = StaffNotificationFilter
    # the inbox is personal: any active staff member reads and marks their own
    required_permissions = {
        "list": [],
        "retrieve": [],
        "read": [],
        "read_all": [],
        "unread_count": [],
    }

    @extend_schema(request=None, responses=StaffNotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = notification_mark_read(actor=request.user, notification=self.get_object())
        return self.respond(notification)

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsRead", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark all of the caller's notifications read."""
        return Response({"marked": notifications_mark_all_read(actor=request.user)})

    @extend_schema(
        responses=inline_serializer("NotificationsUnread", {"unread": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None)
    def unread_count(self, request):
        """How many of the caller's notifications are unread."""
        return Response({"unread": notification_unread_count(actor=request.user)})
