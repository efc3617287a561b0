"""Staff API of the reports app under ``/api/v1/reports/`` (docs/REPORTS.md).

* ``dashboard/`` — ``GET ?period=today|7d|30d&region=&channel=``: the KPIs of the period
  and the previous one, the cards of today / 7 / 30 days, per region and channel, the
  30-day trend; everything in the caller's data scope (brushed orders out). Needs
  ``reports.view_dashboard``. A region or channel outside the scope narrows to nothing
  (figures of zero), exactly like one with no orders: no oracle.
* ``archives/`` — the archived reports (list, detail) and ``archives/{id}/download/``
  (the Excel file, audited ``report.download``). Needs ``reports.view_report`` and scope
  "all"; anybody else lists nothing and gets 404 ``not_found`` for any id.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import include, path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from mall.core.api import ScopedViewSet
from mall.core.exports import XLSX_CONTENT_TYPE
from mall.core.permissions import HasActionPermissions

from .. import permissions as perms
from .. import selectors
from ..serializers import DashboardQuery, DashboardSerializer, ReportArchiveSerializer
from ..services import report_download

TAGS = ["reports"]


class DashboardView(APIView):
    """The KPI dashboard in the caller's data scope."""

    permission_classes = [HasActionPermissions]
    required_permissions = {"GET": [perms.VIEW_DASHBOARD]}

    @extend_schema(parameters=[DashboardQuery], responses=DashboardSerializer, tags=TAGS)
    def get(self, request):
        query = DashboardQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = selectors.dashboard_get(
            actor=request.user,
            period=query.validated_data.get("period") or "7d",
            region=query.validated_data.get("region") or "",
            channel=query.validated_data.get("channel") or "",
        )
        return Response(DashboardSerializer(data).data)


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=ReportArchiveSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=ReportArchiveSerializer),
)
class ReportArchiveViewSet(ScopedViewSet):
    """Archived daily, weekly and monthly reports (mall-wide: scope "all" only)."""

    serializer_class = ReportArchiveSerializer
    list_selector = selectors.report_archive_list
    get_selector = selectors.report_archive_get
    required_permissions = {
        "list": [perms.VIEW_REPORT],
        "retrieve": [perms.VIEW_REPORT],
        "download": [perms.VIEW_REPORT],
    }

    @extend_schema(
        request=None,
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(description="The Excel file")},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        handle, name = report_download(actor=request.user, archive=self.get_object())
        return FileResponse(
            handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE
        )


router = SimpleRouter()
router.register("reports/archives", ReportArchiveViewSet, basename="reports-archive")

urlpatterns = [
    path("api/v1/reports/dashboard/", DashboardView.as_view(), name="reports-dashboard"),
    path("api/v1/", include(router.urls)),
]
