"""Staff API of monitoring under ``/api/v1/monitoring/`` (read only; docs/MONITORING.md).

* ``alerts/`` — list (``?status=&severity=``) and detail ``{id}/``: needs
  ``monitoring.view_alert``;
* ``incidents/`` — list (``?status=&severity=``) and detail ``{incident_no}/`` with the
  timeline and the report: needs ``monitoring.view_incident``;
* ``announcements/`` — the announcements shown to the caller now (any staff member;
  only those for all staff or for a role the caller holds).

A malformed or missing id or number answers 404 ``not_found``. Writes are admin buttons
(the tech lead's and ops lead's screens), each calling one service.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import SimpleRouter

from mall.core.api import ScopedViewSet
from mall.core.permissions import HasActionPermissions

from . import permissions as perms
from . import selectors
from .filters import AlertFilter, IncidentFilter
from .serializers import (
    AlertSerializer,
    AnnouncementSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
)

TAGS = ["monitoring"]
NUMBER_REGEX = r"[A-Za-z0-9-]{1,24}"


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=AlertSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=AlertSerializer),
)
class AlertViewSet(ScopedViewSet):
    """Monitoring alerts, newest first."""

    serializer_class = AlertSerializer
    list_selector = selectors.alert_list
    filterset_class = AlertFilter
    required_permissions = {"list": [perms.VIEW_ALERT], "retrieve": [perms.VIEW_ALERT]}


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=IncidentSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=IncidentDetailSerializer),
)
class IncidentViewSet(ScopedViewSet):
    """Incidents (故障记录), newest first; the detail has the timeline and the report."""

    serializer_class = IncidentSerializer
    list_selector = selectors.incident_list
    filterset_class = IncidentFilter
    lookup_field = "incident_no"
    lookup_value_regex = NUMBER_REGEX
    required_permissions = {"list": [perms.VIEW_INCIDENT], "retrieve": [perms.VIEW_INCIDENT]}

    def get_serializer_class(self):
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentSerializer

    def get_object(self):
        incident = selectors.incident_get(
            actor=self.request.user, incident_no=self.kwargs.get(self.lookup_field)
        )
        self.check_object_permissions(self.request, incident)
        return incident


@extend_schema_view(list=extend_schema(tags=TAGS, responses=AnnouncementSerializer(many=True)))
class AnnouncementFeedViewSet(ScopedViewSet):
    """The announcements shown to the caller now (any active staff member)."""

    serializer_class = AnnouncementSerializer
    list_selector = selectors.announcement_feed
    permission_classes = [HasActionPermissions]
    required_permissions = {"list": []}  # staff only; the audience rule is the selector's
    read_actions = ("list",)


router = SimpleRouter()
router.register("monitoring/alerts", AlertViewSet, basename="monitoring-alert")
router.register("monitoring/incidents", IncidentViewSet, basename="monitoring-incident")
router.register(
    "monitoring/announcements", AnnouncementFeedViewSet, basename="monitoring-announcement"
)

urlpatterns = [path("api/v1/", include(router.urls))]
