"""Finance endpoints under ``/api/v1/payments/`` (API.md "Staff: payments").

* ``transactions/`` — list (filters: ``payments/filters.py``), detail with refunds,
  callbacks (never their bodies) and anomalies, ``export/?format=csv|xlsx``; the payer
  masked unless ``payments.view_payment_pii`` (each reveal audited);
* ``refunds/`` — list, detail, ``{id}/retry/`` (a failed refund sent again), export;
* ``settlements/`` — list, detail, ``compute/`` (a channel and day), ``{id}/confirm/``,
  ``{id}/recompute/``, export;
* ``anomalies/`` — list, detail, ``{id}/resolve/`` (``{"note"}``);
* ``callbacks/`` — list and detail, read only (``payments.view_callbackrecord``);
* ``channels/health/`` — each channel's last computed health.

Rows come from ``payments.selectors`` (scoped: a row outside the caller's region is
404 like a missing one); every action calls one service, which checks again.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.routers import SimpleRouter

from mall.core.api import ExportColumn, ScopedExportMixin, ScopedViewSet

from .. import permissions as perms
from .. import selectors
from ..filters import (
    AnomalyFilter,
    CallbackFilter,
    RefundFilter,
    SettlementFilter,
    TransactionFilter,
)
from .staff_serializers import (
    AnomalyResolveInput,
    AnomalySerializer,
    CallbackSerializer,
    ChannelHealthSerializer,
    RefundSerializer,
    SettlementComputeInput,
    SettlementSerializer,
    TransactionDetailSerializer,
    TransactionSerializer,
)

TAGS = ["payments"]


def _money(attr: str):
    return lambda row: f"{getattr(row, attr):.2f}" if getattr(row, attr) is not None else ""


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=TransactionSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=TransactionDetailSerializer),
)
class TransactionViewSet(ScopedExportMixin, ScopedViewSet):
    """Payment transactions in the caller's scope; payers masked without PII permission."""

    serializer_class = TransactionSerializer
    list_selector = selectors.transaction_list
    get_selector = selectors.transaction_get_by_pk
    filterset_class = TransactionFilter
    pii_permission = perms.VIEW_PAYMENT_PII
    required_permissions = {"export": [perms.VIEW_TRANSACTION, perms.EXPORT_TRANSACTION]}
    export_filename = "payment-transactions"
    export_columns = [
        ExportColumn("transaction_no", "transaction_no"),
        ExportColumn("channel_trade_no", "channel_trade_no"),
        ExportColumn("purpose", "get_purpose_display"),
        ExportColumn("order_no", "order.order_no"),
        ExportColumn("channel", "get_channel_display"),
        ExportColumn("status", "get_status_display"),
        ExportColumn("total_amount", _money("total_amount")),
        ExportColumn("paid_amount", _money("paid_amount")),
        ExportColumn("refunded_amount", _money("refunded_amount")),
        ExportColumn("fee_amount", _money("fee_amount")),
        ExportColumn("paid_at", "paid_at"),
        ExportColumn("created_at", "created_at"),
        ExportColumn("region", "region.code"),
        ExportColumn("payer", "payer", pii="id_number"),
    ]

    def get_serializer_class(self):
        if getattr(self, "action", None) == "retrieve":
            return TransactionDetailSerializer
        return TransactionSerializer


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=RefundSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS),
)
class RefundViewSet(ScopedExportMixin, ScopedViewSet):
    """Refunds in the caller's scope; finance retries the failed ones."""

    serializer_class = RefundSerializer
    list_selector = selectors.refund_list
    get_selector = selectors.refund_get_by_pk
    filterset_class = RefundFilter
    required_permissions = {
        "retry": [perms.VIEW_REFUND, perms.RETRY_REFUND],
        "export": [perms.VIEW_REFUND, perms.EXPORT_REFUND],
    }
    export_filename = "refunds"
    export_columns = [
        ExportColumn("refund_no", "refund_no"),
        ExportColumn("channel_refund_no", "channel_refund_no"),
        ExportColumn("transaction_no", "transaction.transaction_no"),
        ExportColumn("order_no", "order.order_no"),
        ExportColumn("after_sale_case_no", "after_sale_case_no"),
        ExportColumn("channel", "get_channel_display"),
        ExportColumn("source", "get_source_display"),
        ExportColumn("status", "get_status_display"),
        ExportColumn("amount", _money("amount")),
        ExportColumn("fee_refund_amount", _money("fee_refund_amount")),
        ExportColumn("attempts", "attempts"),
        ExportColumn("last_error", "last_error"),
        ExportColumn("succeeded_at", "succeeded_at"),
        ExportColumn("created_at", "created_at"),
        ExportColumn("region", "region.code"),
    ]

    @extend_schema(request=None, responses=RefundSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send a failed refund to its channel again (its reservation is kept meanwhile)."""
        refund = self.get_object()
        from ..services.refunds import refund_retry  # built with the refunds part

        return self.respond(refund_retry(actor=request.user, refund=refund))


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=SettlementSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS),
)
class SettlementViewSet(ScopedExportMixin, ScopedViewSet):
    """Settlements per channel and day (mall-wide; function permission only)."""

    serializer_class = SettlementSerializer
    list_selector = selectors.settlement_list
    get_selector = selectors.settlement_get_by_pk
    filterset_class = SettlementFilter
    required_permissions = {
        "confirm": [perms.VIEW_SETTLEMENT, perms.CONFIRM_SETTLEMENT],
        "recompute": [perms.VIEW_SETTLEMENT, perms.CONFIRM_SETTLEMENT],
        "compute": [perms.VIEW_SETTLEMENT, perms.CONFIRM_SETTLEMENT],
        "export": [perms.VIEW_SETTLEMENT, perms.EXPORT_SETTLEMENT],
    }
    export_filename = "settlements"
    export_columns = [
        ExportColumn("channel", "get_channel_display"),
        ExportColumn("business_date", "business_date"),
        ExportColumn("status", "get_status_display"),
        ExportColumn("payment_count", "payment_count"),
        ExportColumn("gross_amount", _money("gross_amount")),
        ExportColumn("fee_amount", _money("fee_amount")),
        ExportColumn("refund_count", "refund_count"),
        ExportColumn("refund_amount", _money("refund_amount")),
        ExportColumn("fee_refund_amount", _money("fee_refund_amount")),
        ExportColumn("net_amount", _money("net_amount")),
        ExportColumn("expected_on", "expected_on"),
        ExportColumn("confirmed_at", "confirmed_at"),
    ]

    @extend_schema(request=None, responses=SettlementSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm the settlement; its figures are frozen from now on (409 if confirmed)."""
        from ..services.settlement import settlement_confirm

        return self.respond(settlement_confirm(actor=request.user, settlement=self.get_object()))

    @extend_schema(request=None, responses=SettlementSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        """Recompute a draft settlement from its day's payments and refunds (409 if confirmed)."""
        from ..services.settlement import settlement_compute

        row = self.get_object()
        return self.respond(
            settlement_compute(
                actor=request.user, channel=row.channel, business_date=row.business_date
            )
        )

    @extend_schema(request=SettlementComputeInput, responses=SettlementSerializer, tags=TAGS)
    @action(detail=False, methods=["post"], pagination_class=None)
    def compute(self, request):
        """Compute (or recompute) one channel's settlement of one day
        (``{"channel", "business_date"}``): a day the nightly job did not settle, or a
        day settled again after late changes. A confirmed day is 409; a future day 400."""
        from ..services.settlement import settlement_compute

        data = self.validated(SettlementComputeInput)
        row = settlement_compute(
            actor=request.user, channel=data["channel"], business_date=data["business_date"]
        )
        return self.respond(row)


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=AnomalySerializer(many=True)),
    retrieve=extend_schema(tags=TAGS),
)
class AnomalyViewSet(ScopedViewSet):
    """Payment anomalies in the caller's scope; resolved with a note."""

    serializer_class = AnomalySerializer
    list_selector = selectors.anomaly_list
    get_selector = selectors.anomaly_get_by_pk
    filterset_class = AnomalyFilter
    required_permissions = {"resolve": [perms.VIEW_ANOMALY, perms.MANAGE_ANOMALY]}

    @extend_schema(request=AnomalyResolveInput, responses=AnomalySerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Mark the anomaly resolved, saying what was done (``{"note"}``, required)."""
        from ..services.anomalies import anomaly_resolve

        data = self.validated(AnomalyResolveInput)
        anomaly = anomaly_resolve(actor=request.user, anomaly=self.get_object(), note=data["note"])
        return self.respond(anomaly)


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=CallbackSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS),
)
class CallbackViewSet(ScopedViewSet):
    """The channels' callbacks as received (outcome, signature check) — never the body."""

    serializer_class = CallbackSerializer
    list_selector = selectors.callback_list
    get_selector = selectors.callback_get_by_pk
    filterset_class = CallbackFilter


@extend_schema_view(list=extend_schema(tags=TAGS, responses=ChannelHealthSerializer(many=True)))
class ChannelHealthViewSet(ScopedViewSet):
    """Each channel's last computed health (success rate, p95 latency, state)."""

    serializer_class = ChannelHealthSerializer
    list_selector = selectors.channel_health_list
    pagination_class = None
    read_actions = ("list",)


router = SimpleRouter()
router.register("payments/transactions", TransactionViewSet, basename="payments-transaction")
router.register("payments/refunds", RefundViewSet, basename="payments-refund")
router.register("payments/settlements", SettlementViewSet, basename="payments-settlement")
router.register("payments/anomalies", AnomalyViewSet, basename="payments-anomaly")
router.register("payments/callbacks", CallbackViewSet, basename="payments-callback")
router.register("payments/channels/health", ChannelHealthViewSet, basename="payments-health")

urlpatterns = [path("api/v1/", include(router.urls))]
