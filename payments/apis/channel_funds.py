"""``POST /api/v1/finance/channel-statements/``: upload a sales channel's statement.

Multipart ``sales_channel`` (its id), ``period_start``, ``period_end`` (dates, at most
31 days, ended) and ``file`` (our statement CSV, docs/RECONCILIATION.md §Channel funds)
→ ``202 {"id", "status"}``: the run is queued; its progress, summary and discrepancies
are read through ``/api/v1/finance/reconciliations/{id}/``. A channel outside the
caller's scope is 404 like a missing one; a file without the statement header is 400
``bill_malformed`` at once (its lines are checked by the run); one run of the period
in flight already is 409 ``reconciliation_running``.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from mall.core.api import ScopedViewSet

from .. import permissions as perms
from ..models import Reconciliation

TAGS = ["finance"]


class StatementUploadInput(serializers.Serializer):
    sales_channel = serializers.IntegerField(min_value=1, max_value=10**18)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    file = serializers.FileField()

    def validate(self, attrs):
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError(
                {"period_end": [_("The period cannot end before it starts.")]}
            )
        return attrs


StatementAccepted = inline_serializer(
    name="StatementAccepted",
    fields={"id": serializers.IntegerField(), "status": serializers.CharField()},
)


class ChannelStatementViewSet(ScopedViewSet):
    """Sales channel statements (渠道结算单): upload only; runs are read as reconciliations."""

    scope_model = Reconciliation
    serializer_class = StatementUploadInput
    parser_classes = [MultiPartParser, FormParser]
    required_permissions = {"create": [perms.RUN_RECONCILIATION]}
    read_actions: tuple[str, ...] = ()

    def get_queryset(self):  # no reads here: the reconciliation endpoints serve them
        return Reconciliation.objects.none()

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": StatementUploadInput},
        responses={
            202: StatementAccepted,
            400: OpenApiResponse(description="bad input or bill_malformed (line 1)"),
            404: OpenApiResponse(description="the sales channel is not in your scope"),
            409: OpenApiResponse(description="reconciliation_running"),
            413: OpenApiResponse(description="bill_too_large"),
        },
    )
    def create(self, request):
        """Upload a sales channel's settlement statement for a period; the run is queued
        (202) and matched against the channel's balance ledger in the background."""
        from ..services.channel_funds import statement_start

        data = self.validated(StatementUploadInput)
        run = statement_start(
            actor=request.user,
            sales_channel=data["sales_channel"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            upload=data["file"],
        )
        return Response({"id": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)


# Upload only: no list or detail route here (the reconciliation endpoints read runs).
urlpatterns = [
    path(
        "api/v1/finance/channel-statements/",
        ChannelStatementViewSet.as_view({"post": "create"}),
        name="finance-channel-statement-list",
    )
]
