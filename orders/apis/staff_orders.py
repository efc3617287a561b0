"""Staff order endpoints under ``/api/v1/orders/`` (API.md "Staff").

``GET /api/v1/orders/?status=&region=&channel=&created_after=&created_before=&q=&tab=``
(cursor paging; lines and shipments of a page in a constant number of queries),
``GET /api/v1/orders/{order_no}/`` with ``events`` oldest first, the actions
``approve``, ``reject``, ``ship``, ``cancel``, ``freeze``, ``unfreeze``,
``warehouse-approve``, ``reveal-code`` (one virtual goods code in full, audited),
``approve-batch`` (many orders) and
``GET /api/v1/orders/export/?format=csv|xlsx`` (the columns of the order processing
record, seed 001 §三(二); scoped, masked, audited); the packing list
``GET /api/v1/order-lines/?order=&status=…`` and ``…/order-lines/export/`` (a row per
line).

Orders are addressed by order number; a number outside the caller's scope is 404
like one that does not exist. Every action calls one service, which checks the
permission, the scope and the state again.
"""

from __future__ import annotations

import contextlib

from django.urls import include, path
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from mall.core.api import ExportColumn, ScopedExportMixin, ScopedViewSet
from mall.core.masking import PiiPolicy, pii_reason_from_request

from .. import permissions as perms
from .. import selectors
from ..exceptions import OrderNotFound
from ..filters import OrderFilter, OrderLineFilter
from ..models import AfterSale, Order
from ..services import review, shipping
from .staff_serializers import (
    OrderBatchInput,
    OrderBatchResultSerializer,
    OrderCancelInput,
    OrderNoteInput,
    OrderReasonInput,
    OrderRejectInput,
    OrderRevealCodeInput,
    OrderShipInput,
    PackingLineSerializer,
    RevealedCodeSerializer,
    StaffOrderDetailSerializer,
    StaffOrderSerializer,
)

TAGS = ["orders"]
ORDER_NO_REGEX = r"[A-Za-z0-9-]{1,24}"


def _products(order: Order) -> str:
    return "、".join(line.product_title for line in order.lines.all())


def _waybills(order: Order) -> str:
    from dispatch.models import Shipment

    return " ".join(
        Shipment.objects.filter(order_no=order.order_no)
        .exclude(waybill_no="")
        .order_by("pk")
        .values_list("waybill_no", flat=True)
    )


def _after_sale_status(order: Order) -> str:
    cases = sorted(order.after_sales.all(), key=lambda c: c.pk)
    return str(cases[-1].get_status_display()) if cases else ""


def _payment_status(order: Order) -> str:
    if order.paid_at is None:
        return str(Order.Status.PENDING_PAYMENT.label)
    if order.refunded_amount >= order.paid_amount > 0:
        return str(AfterSale.Status.COMPLETED.label)
    return str(Order.Status.PAID.label)


def _handler(order: Order) -> str:
    user = order.reviewed_by or order.first_reviewed_by
    return user.get_full_name() or user.get_username() if user else ""


@extend_schema_view(list=extend_schema(tags=TAGS), retrieve=extend_schema(tags=TAGS))
class OrderViewSet(ScopedExportMixin, ScopedViewSet):
    """Orders in the caller's data scope; personal data masked without PII permission."""

    serializer_class = StaffOrderSerializer
    list_selector = selectors.order_list_with_lines
    filterset_class = OrderFilter
    lookup_field = "order_no"
    lookup_value_regex = ORDER_NO_REGEX
    required_permissions = {
        "approve": [perms.VIEW_ORDER, perms.REVIEW_ORDER],
        "approve_batch": [perms.VIEW_ORDER, perms.REVIEW_ORDER],
        "reject": [perms.VIEW_ORDER, perms.REVIEW_ORDER],
        "warehouse_approve": [perms.VIEW_ORDER, perms.WAREHOUSE_APPROVE_ORDER],
        "ship": [perms.VIEW_ORDER, perms.SHIP_ORDER],
        "cancel": [perms.VIEW_ORDER, perms.CANCEL_ORDER],
        "freeze": [perms.VIEW_ORDER, perms.FREEZE_ORDER],
        "unfreeze": [perms.VIEW_ORDER, perms.FREEZE_ORDER],
        "export": [perms.VIEW_ORDER, perms.EXPORT_ORDER],
        "reveal_code": [perms.VIEW_ORDER, perms.REVEAL_VIRTUAL_CODE],
    }
    export_filename = "orders"
    export_pii_filters = ("q",)  # may hold a member's full phone number
    # 订单处理记录表 (seed 001 §三(二)) plus region and channel.
    export_columns = [
        ExportColumn("order_no", "order_no"),
        ExportColumn("member_id", "member_id"),
        ExportColumn("created_at", "created_at"),
        ExportColumn("products", _products),
        ExportColumn("total_amount", "total_amount"),
        ExportColumn("payment_status", _payment_status),
        ExportColumn("status", "get_status_display"),
        ExportColumn("shipped_at", "shipped_at"),
        ExportColumn("waybill_nos", _waybills),
        ExportColumn("after_sale_status", _after_sale_status),
        ExportColumn("handler", _handler),
        ExportColumn("region", "region.code"),
        ExportColumn("channel", "channel.code"),
        ExportColumn("member_phone", "member.phone", pii="phone"),
    ]

    # --- reads ------------------------------------------------------------------------

    def get_queryset(self):
        queryset = super().get_queryset().select_related("member")
        if getattr(self, "action", None) == "export":
            queryset = queryset.select_related("reviewed_by", "first_reviewed_by")
            queryset = queryset.prefetch_related("after_sales")
        return queryset

    def get_row(self, pk):
        if pk is None:
            raise OrderNotFound()
        return selectors.order_get_by_pk(actor=self.request.user, pk=pk)

    def get_object(self):
        order = selectors.order_get(
            actor=self.request.user, order_no=self.kwargs.get(self.lookup_field)
        )
        self.check_object_permissions(self.request, order)
        return order

    @cached_property
    def order_pii_policy(self) -> PiiPolicy:
        return PiiPolicy(
            self.request.user,
            reason=pii_reason_from_request(self.request),
            permission=perms.VIEW_ORDER_PII,
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["order_pii_policy"] = self.order_pii_policy
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if "order_pii_policy" in self.__dict__ and response.status_code < 400:
            self.order_pii_policy.flush(context=f"api {request.method} {request.path}")
        return response

    def _context_for(self, orders, *, events=None) -> dict:
        from dispatch.selectors import shipments_by_order

        context = self.get_serializer_context()
        context["shipments"] = shipments_by_order(
            actor=self.request.user, order_nos=[o.order_no for o in orders]
        )
        if events is not None:
            context["events"] = events
        return context

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = StaffOrderSerializer(rows, many=True, context=self._context_for(rows)).data
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    @extend_schema(responses=StaffOrderDetailSerializer, tags=TAGS)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def _detail(self, order: Order, code: int = 200) -> Response:
        # A write that moved the order out of the caller's scope: answer what was saved.
        with contextlib.suppress(OrderNotFound):
            order = selectors.order_get(actor=self.request.user, order_no=order.order_no)
        events = list(selectors.order_events(actor=self.request.user, order=order))
        context = self._context_for([order], events=events)
        context["virtual_codes"] = list(
            selectors.virtual_code_list(actor=self.request.user).filter(order=order).order_by("id")
        )
        return Response(StaffOrderDetailSerializer(order, context=context).data, status=code)

    # --- actions ----------------------------------------------------------------------

    @extend_schema(request=OrderNoteInput, responses=StaffOrderDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def approve(self, request, order_no=None):
        """Approve after the review checks; a failed check holds the order
        (``is_review_held``, the problems in ``review_hold_reason``)."""
        data = self.validated(OrderNoteInput)
        order = review.order_approve(actor=request.user, order=self.get_object(), note=data["note"])
        return self._detail(order)

    @extend_schema(request=OrderRejectInput, responses=StaffOrderDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def reject(self, request, order_no=None):
        """Hold the order at review with a reason; customer service is notified."""
        data = self.validated(OrderRejectInput)
        order = review.order_reject(
            actor=request.user, order=self.get_object(), reason=data["reason"]
        )
        return self._detail(order)

    @extend_schema(request=None, responses=StaffOrderDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"], url_path="warehouse-approve")
    def warehouse_approve(self, request, order_no=None):
        """The warehouse accepts an approved order."""
        order = review.order_warehouse_approve(actor=request.user, order=self.get_object())
        return self._detail(order)

    @extend_schema(request=OrderShipInput, responses=StaffOrderDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def ship(self, request, order_no=None):
        """Ship parcels: ``{"waybills": [{"shipment", "waybill_no", "carrier"?}]}``."""
        data = self.validated(OrderShipInput)
        waybills = {
            item["shipment"]: (item["waybill_no"], item["carrier"] or None)
            for item in data["waybills"]
        }
        order = shipping.order_ship(actor=request.user, order=self.get_object(), waybills=waybills)
        return self._detail(order)

    @extend_schema(request=OrderCancelInput, responses=StaffOrderDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def cancel(self, request, order_no=None):
        """Cancel the order (a paid order's refund is opened)."""
        data = self.validated(OrderCancelInput)
        order = self.get_object()
        from ..services.cancellation import order_cancel  # built by the checkout part

        order = order_cancel(actor=request.user, order=order, reason=data["reason"])
        return self._detail(order)

    @extend_schema(request=OrderReasonInput, responses=StaffOrderDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def freeze(self, request, order_no=None):
        """Freeze the order (no approval, shipping, receipt or refund until released)."""
        data = self.validated(OrderReasonInput)
        order = review.order_freeze(
            actor=request.user, order=self.get_object(), reason=data["reason"]
        )
        return self._detail(order)

    @extend_schema(request=OrderReasonInput, responses=StaffOrderDetailSerializer, tags=TAGS)
    @action(detail=True, methods=["post"])
    def unfreeze(self, request, order_no=None):
        """Release a frozen order."""
        data = self.validated(OrderReasonInput)
        order = review.order_unfreeze(
            actor=request.user, order=self.get_object(), reason=data["reason"]
        )
        return self._detail(order)

    @extend_schema(request=OrderRevealCodeInput, responses=RevealedCodeSerializer, tags=TAGS)
    @action(detail=True, methods=["post"], url_path="reveal-code")
    def reveal_code(self, request, order_no=None):
        """Show (or copy) one virtual goods code of the order in full; audited."""
        from ..services.virtual_goods import virtual_code_reveal

        data = self.validated(OrderRevealCodeInput)
        order = self.get_object()
        code = (
            selectors.virtual_code_list(actor=request.user)
            .filter(order=order, pk=data["code"])
            .first()
        )
        if code is None:
            raise OrderNotFound()
        plain = virtual_code_reveal(actor=request.user, code=code, purpose=data["purpose"])
        return Response({"id": code.pk, "code": plain})

    @extend_schema(request=OrderBatchInput, responses=OrderBatchResultSerializer, tags=TAGS)
    @action(detail=False, methods=["post"], url_path="approve-batch", pagination_class=None)
    def approve_batch(self, request):
        """Approve many orders: ``{"order_nos": [...]}`` → ``{"done": [...], "failed": {no: msg}}``.

        A number outside the scope fails as "not found" like a missing one.
        """
        data = self.validated(OrderBatchInput)
        found = {
            o.order_no: o
            for o in selectors.order_list(actor=request.user).filter(order_no__in=data["order_nos"])
        }
        missing = {no: str(OrderNotFound().message) for no in data["order_nos"]}
        result = review.orders_approve_batch(
            actor=request.user,
            orders=[found[no] for no in data["order_nos"] if no in found],
            note=data["note"],
        )
        body = result.as_dict()
        body["failed"] = {
            **{no: msg for no, msg in missing.items() if no not in found},
            **body["failed"],
        }
        return Response(body)


@extend_schema_view(list=extend_schema(tags=TAGS))
class OrderLineViewSet(ScopedExportMixin, ScopedViewSet):
    """The packing list: order lines in the caller's scope (``/api/v1/order-lines/``),
    with its CSV/xlsx export (``…/export/``) — one row per line, by order number."""

    serializer_class = PackingLineSerializer
    list_selector = selectors.order_line_list
    filterset_class = OrderLineFilter
    read_actions = ("list",)
    required_permissions = {
        "list": [perms.VIEW_ORDER],
        "retrieve": [perms.VIEW_ORDER],  # answered 405: the list is the resource
        "export": [perms.VIEW_ORDER, perms.EXPORT_ORDER],
    }
    export_filename = "packing-list"
    export_columns = [
        ExportColumn("order_no", "order.order_no"),
        ExportColumn("sku", "sku_code"),
        ExportColumn("product", "product_title"),
        ExportColumn("spec", lambda line: " ".join(f"{k}:{v}" for k, v in line.spec.items())),
        ExportColumn("quantity", "quantity"),
        ExportColumn("weight_grams", "weight_grams"),
        ExportColumn("virtual", "is_virtual"),
        ExportColumn("order_status", "order.status"),
        ExportColumn("city", "order.city"),
        ExportColumn("district", "order.district"),
    ]

    def get_queryset(self):
        return super().get_queryset().order_by("-order_id", "id")


router = SimpleRouter()
router.register("orders", OrderViewSet, basename="orders-order")
router.register("order-lines", OrderLineViewSet, basename="orders-line")

urlpatterns = [path("api/v1/", include(router.urls))]
