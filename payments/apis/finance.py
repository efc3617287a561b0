"""Reconciliation endpoints under ``/api/v1/finance/`` (API.md "Finance").

* ``reconciliations/`` — ``POST`` (multipart ``channel``, ``bill_date``, ``file``) starts a
  run on an uploaded bill → 202 ``{"id", "status"}``; list (``?channel=&bill_date=
  &status=``), detail (``progress``, ``summary``, ``totals``), ``{id}/discrepancies/``
  (``?kind=&status=``) and ``{id}/report/?format=csv|xlsx``;
* ``discrepancies/`` — the queue across runs (``?kind=&status=&channel=&reconciliation=
  &date_from=&date_to=&transaction_no=&refund_no=``), ``{id}/resolve/`` (``{"note"}``),
  ``{id}/requery/``, ``{id}/adjustments/`` (propose: ``{"amount", "note"}``);
* ``adjustments/`` — list (``?status=``), ``{id}/approve/`` (``{"note"}`` optional),
  ``{id}/reject/`` (``{"note"}``).

Runs are whole-mall figures (``payments.view_reconciliation``); discrepancies and
adjustments come from the scoped selectors (a row outside the caller's region is 404
like a missing one). Every write calls one service, which checks again.
"""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.routers import SimpleRouter

from mall.core.api import EXPORT_RENDERERS, ScopedViewSet
from mall.core.exports import XLSX_CONTENT_TYPE
from mall.core.filters import FilterSet, WholeNumberFilter

from .. import permissions as perms
from .. import selectors
from ..filters import CodeChoiceFilter
from ..models import Channel, Discrepancy, Reconciliation, ReconciliationAdjustment
from .finance_serializers import (
    AdjustmentDecideInput,
    AdjustmentProposeInput,
    AdjustmentRejectInput,
    AdjustmentSerializer,
    DiscrepancyResolveInput,
    DiscrepancySerializer,
    ReconciliationDetailSerializer,
    ReconciliationSerializer,
    ReconciliationStarted,
    ReconciliationStartInput,
)

TAGS = ["finance"]
NUMBER_MAX = 32


class ReconciliationFilter(FilterSet):
    channel = CodeChoiceFilter(choices=Channel.choices, label=_("payment channel"))
    status = CodeChoiceFilter(choices=Reconciliation.Status.choices, label=_("status"))
    bill_date = django_filters.DateFilter(field_name="bill_date", label=_("bill date"))

    class Meta:
        model = Reconciliation
        fields: list[str] = []


class RunDiscrepancyFilter(FilterSet):
    kind = CodeChoiceFilter(choices=Discrepancy.Kind.choices, label=_("type"))
    status = CodeChoiceFilter(choices=Discrepancy.Status.choices, label=_("status"))

    class Meta:
        model = Discrepancy
        fields: list[str] = []


class DiscrepancyFilter(RunDiscrepancyFilter):
    channel = CodeChoiceFilter(choices=Channel.choices, label=_("payment channel"))
    reconciliation = WholeNumberFilter(
        field_name="reconciliation_id", min_value=1, max_value=2**63 - 1, label=_("reconciliation")
    )
    date_from = django_filters.DateFilter(
        field_name="business_date", lookup_expr="gte", label=_("business date from")
    )
    date_to = django_filters.DateFilter(
        field_name="business_date", lookup_expr="lte", label=_("business date to")
    )
    # exact, on our own numbers only (never on anything masked)
    transaction_no = django_filters.CharFilter(
        field_name="transaction_no", max_length=NUMBER_MAX, label=_("our transaction number")
    )
    refund_no = django_filters.CharFilter(
        field_name="refund_no", max_length=NUMBER_MAX, label=_("our refund number")
    )

    class Meta:
        model = Discrepancy
        fields: list[str] = []


class AdjustmentFilter(FilterSet):
    status = CodeChoiceFilter(choices=ReconciliationAdjustment.Status.choices, label=_("status"))

    class Meta:
        model = ReconciliationAdjustment
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=ReconciliationSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=ReconciliationDetailSerializer),
)
class ReconciliationViewSet(ScopedViewSet):
    """Reconciliation runs (mall-wide per channel; function permission only)."""

    serializer_class = ReconciliationSerializer
    list_selector = selectors.reconciliation_list
    get_selector = selectors.reconciliation_get
    filterset_class = ReconciliationFilter
    required_permissions = {
        "create": [perms.VIEW_RECONCILIATION, perms.RUN_RECONCILIATION],
        "discrepancies": [perms.VIEW_RECONCILIATION, perms.VIEW_DISCREPANCY],
        "report": [perms.VIEW_RECONCILIATION, perms.EXPORT_RECONCILIATION],
    }

    def get_serializer_class(self):
        if getattr(self, "action", None) == "retrieve":
            return ReconciliationDetailSerializer
        return ReconciliationSerializer

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": ReconciliationStartInput},
        responses={202: ReconciliationStarted},
    )
    def create(self, request, *args, **kwargs):
        """Reconcile an uploaded bill (``channel``, ``bill_date``, ``file`` as downloaded
        from the merchant platform): 202 with the run; poll it for ``progress``. 400
        ``invalid`` for a bill date before 2000-01-01 or not yet past, 400
        ``bill_malformed`` when the file's first lines are not the channel's bill; 409
        ``reconciliation_running`` while a run of the same bill is in flight."""
        data = self.validated(ReconciliationStartInput)
        from ..services.reconciliation import reconciliation_start

        run = reconciliation_start(
            actor=request.user,
            channel=data["channel"],
            bill_date=data["bill_date"],
            upload=data["file"],
        )
        return self.respond(run, code=202, serializer_class=ReconciliationStarted)

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST" and not self.kwargs:
            return [MultiPartParser(), FormParser()]
        return super().get_parsers()

    @extend_schema(
        tags=TAGS,
        responses=DiscrepancySerializer(many=True),
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(Discrepancy.Kind.values)),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(Discrepancy.Status.values)),
        ],
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def discrepancies(self, request, pk=None):
        """The run's discrepancies in your scope (``?kind=&status=``), cursor-paged."""
        run = self.get_object()
        rows = selectors.discrepancy_list(actor=request.user, reconciliation=run)
        filterset = RunDiscrepancyFilter(data=request.query_params, queryset=rows, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        serialized = DiscrepancySerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serialized.data)

    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"])],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file"),
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="Excel file"
            ),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=EXPORT_RENDERERS,
        pagination_class=None,
        filterset_class=None,
    )
    def report(self, request, pk=None):
        """The run's report: summary, your discrepancies, matched totals (audited)."""
        from ..reconciliation.reports import report

        run = self.get_object()
        fmt = request.query_params.get("format", "csv")
        content, filename = report(run, request.user, fmt)
        response = HttpResponse(
            content,
            content_type="text/csv; charset=utf-8" if fmt == "csv" else XLSX_CONTENT_TYPE,
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=DiscrepancySerializer(many=True)),
    retrieve=extend_schema(tags=TAGS),
)
class DiscrepancyViewSet(ScopedViewSet):
    """The discrepancy queue across runs, in the caller's scope."""

    serializer_class = DiscrepancySerializer
    list_selector = selectors.discrepancy_list
    get_selector = selectors.discrepancy_get
    filterset_class = DiscrepancyFilter
    required_permissions = {
        "resolve": [perms.VIEW_DISCREPANCY, perms.RESOLVE_DISCREPANCY],
        "requery": [perms.VIEW_DISCREPANCY, perms.RESOLVE_DISCREPANCY],
        "adjustments": [perms.VIEW_DISCREPANCY, perms.PROPOSE_ADJUSTMENT],
    }

    @extend_schema(request=DiscrepancyResolveInput, responses=DiscrepancySerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Mark the discrepancy resolved, saying what was done (``{"note"}``)."""
        from ..services.discrepancies import discrepancy_resolve

        data = self.validated(DiscrepancyResolveInput)
        row = discrepancy_resolve(
            actor=request.user, discrepancy=self.get_object(), note=data["note"]
        )
        return self.respond(row)

    @extend_schema(request=None, responses=DiscrepancySerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def requery(self, request, pk=None):
        """Ask the channel about the transaction / refund now; its answer is applied and
        kept in ``query_result``."""
        from ..services.discrepancies import discrepancy_requery

        return self.respond(discrepancy_requery(actor=request.user, discrepancy=self.get_object()))

    @extend_schema(request=AdjustmentProposeInput, responses={201: AdjustmentSerializer}, tags=TAGS)
    @action(detail=True, methods=["post"])
    def adjustments(self, request, pk=None):
        """Propose an adjustment (``{"amount", "note"}``, signed yuan); another finance
        user approves it."""
        from ..services.discrepancies import adjustment_propose

        data = self.validated(AdjustmentProposeInput)
        row = adjustment_propose(
            actor=request.user,
            discrepancy=self.get_object(),
            amount=data["amount"],
            note=data["note"],
        )
        fresh = selectors.adjustment_get(actor=request.user, pk=row.pk)
        return self.respond_adjustment(fresh, 201)

    def respond_adjustment(self, row, code: int):
        from rest_framework.response import Response

        data = AdjustmentSerializer(row, context=self.get_serializer_context()).data
        return Response(data, status=code)


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=AdjustmentSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS),
)
class AdjustmentViewSet(ScopedViewSet):
    """Adjustments (调账) in the caller's scope; decided by someone other than the proposer."""

    serializer_class = AdjustmentSerializer
    list_selector = selectors.adjustment_list
    get_selector = selectors.adjustment_get
    filterset_class = AdjustmentFilter
    required_permissions = {
        "approve": [perms.VIEW_ADJUSTMENT, perms.APPROVE_ADJUSTMENT],
        "reject": [perms.VIEW_ADJUSTMENT, perms.APPROVE_ADJUSTMENT],
    }

    @extend_schema(request=AdjustmentDecideInput, responses=AdjustmentSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the adjustment (403 ``same_approver`` for its proposer)."""
        from ..services.discrepancies import adjustment_approve

        data = self.validated(AdjustmentDecideInput)
        row = adjustment_approve(
            actor=request.user, adjustment=self.get_object(), note=data["note"]
        )
        return self.respond(row)

    @extend_schema(request=AdjustmentRejectInput, responses=AdjustmentSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the adjustment with the reason (``{"note"}``)."""
        from ..services.discrepancies import adjustment_reject

        data = self.validated(AdjustmentRejectInput)
        row = adjustment_reject(actor=request.user, adjustment=self.get_object(), note=data["note"])
        return self.respond(row)


router = SimpleRouter()
router.register("finance/reconciliations", ReconciliationViewSet, basename="finance-reconciliation")
router.register("finance/discrepancies", DiscrepancyViewSet, basename="finance-discrepancy")
router.register("finance/adjustments", AdjustmentViewSet, basename="finance-adjustment")

urlpatterns = [path("api/v1/", include(router.urls))]
