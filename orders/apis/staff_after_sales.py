"""Staff after-sales cases and reviews (``ScopedViewSet``: permission + data scope).

* ``GET /api/v1/after-sales/?status=&kind=&reason=&region=&created_after=&created_before=&q=``
  and ``GET /api/v1/after-sales/{id}/`` (with the timeline and evidence images);
  ``POST …/{id}/approve/`` ``{"amount"?, "note"?}``, ``…/reject/`` ``{"reason"}``,
  ``…/plan/`` ``{"plan", "approve"}``, ``…/receive/`` ``{"warehouse", "lines"?}``,
  ``…/reship-done/``, ``…/refund/`` (``Idempotency-Key``);
* ``GET /api/v1/reviews/?status=&rating=&negative=&replied=&region=&product=`` and
  ``GET /api/v1/reviews/{id}/``; ``POST …/{id}/reply/`` ``{"text"}``, ``…/hide/``
  ``{"reason"}``, ``…/show/``.

Outside the caller's data scope every URL is a 404.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.routers import SimpleRouter

from dispatch.models import Warehouse
from mall.core.api import ScopedViewSet
from mall.core.idempotency import idempotent
from mall.core.scoping import scope_queryset

from .. import permissions as perms
from .. import selectors
from ..exceptions import InvalidOrderInput
from ..filters_after_sales import AfterSaleFilter, ReviewFilter
from ..models import AfterSaleLine
from ..serializers_after_sales import (
    AfterSaleApproveInput,
    AfterSaleDetailSerializer,
    AfterSaleEmptyInput,
    AfterSalePlanInput,
    AfterSaleReasonInput,
    AfterSaleReceiveInput,
    AfterSaleSerializer,
    ProductReviewReplyInput,
    ProductReviewSerializer,
    ReviewShowInput,
)
from ..services import after_sales as services
from ..services import reviews as review_services


def _case_rows(*, actor):
    """The after-sales cases ``actor`` may see, with what a page shows (constant queries)."""
    return (
        selectors.after_sale_list(actor=actor)
        .select_related("handler")
        .prefetch_related(
            Prefetch("lines", queryset=AfterSaleLine.objects.select_related("order_line"))
        )
    )


def _review_rows(*, actor):
    return selectors.review_list(actor=actor).select_related("member", "region", "replied_by")


class AfterSaleViewSet(ScopedViewSet):
    """After-sales cases in the caller's scope; each step calls one service."""

    serializer_class = AfterSaleSerializer
    list_selector = _case_rows
    filterset_class = AfterSaleFilter
    required_permissions = {
        "list": [perms.VIEW_AFTER_SALE],
        "retrieve": [perms.VIEW_AFTER_SALE],
        "approve": [perms.VIEW_AFTER_SALE, perms.REVIEW_AFTER_SALE],
        "reject": [perms.VIEW_AFTER_SALE, perms.REVIEW_AFTER_SALE],
        "plan": [perms.VIEW_AFTER_SALE, perms.REVIEW_AFTER_SALE],
        "receive": [perms.VIEW_AFTER_SALE, perms.RECEIVE_AFTER_SALE],
        "reship_done": [perms.VIEW_AFTER_SALE, perms.RECEIVE_AFTER_SALE],
        "refund": [perms.VIEW_AFTER_SALE, perms.REFUND_AFTER_SALE],
    }

    def get_serializer_class(self):
        if self.action == "list":
            return AfterSaleSerializer
        return AfterSaleDetailSerializer

    @extend_schema(request=AfterSaleApproveInput, responses=AfterSaleDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a request (optionally a lower amount): refund → finance, return → goods back."""
        data = self.validated(AfterSaleApproveInput)
        case = services.after_sale_approve(
            actor=request.user,
            after_sale=self.get_object(),
            amount=data.get("amount"),
            note=data.get("note", ""),
        )
        return self.respond(case)

    @extend_schema(request=AfterSaleReasonInput, responses=AfterSaleDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a request with a reason (the member may dispute once)."""
        data = self.validated(AfterSaleReasonInput)
        case = services.after_sale_reject(
            actor=request.user, after_sale=self.get_object(), reason=data["reason"]
        )
        return self.respond(case)

    @extend_schema(request=AfterSalePlanInput, responses=AfterSaleDetailSerializer)
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        """Give a disputed case its plan: approve after all, or confirm the rejection."""
        data = self.validated(AfterSalePlanInput)
        case = services.after_sale_plan(
            actor=request.user,
            after_sale=self.get_object(),
            plan=data["plan"],
            approve=data["approve"],
        )
        return self.respond(case)

    @extend_schema(request=AfterSaleReceiveInput, responses=AfterSaleDetailSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """Book the returned goods into a warehouse (in the caller's scope)."""
        data = self.validated(AfterSaleReceiveInput)
        case = self.get_object()
        warehouse = (
            scope_queryset(request.user, Warehouse.objects.all())
            .filter(code=data["warehouse"])
            .first()
        )
        if warehouse is None:
            raise InvalidOrderInput(fields={"warehouse": [data["warehouse"]]})
        lines = data.get("lines")
        case = services.after_sale_receive(
            actor=request.user,
            after_sale=case,
            warehouse=warehouse,
            lines=None if lines is None else [(row["sku"], row["quantity"]) for row in lines],
            note=data.get("note", ""),
        )
        return self.respond(case)

    @extend_schema(request=AfterSaleEmptyInput, responses=AfterSaleDetailSerializer)
    @action(detail=True, methods=["post"], url_path="reship-done")
    def reship_done(self, request, pk=None):
        """Complete an exchange whose replacement has shipped."""
        case = services.after_sale_reship_done(actor=request.user, after_sale=self.get_object())
        return self.respond(case)

    @extend_schema(request=AfterSaleEmptyInput, responses=AfterSaleDetailSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def refund(self, request, pk=None):
        """Execute the refund (finance); ``Idempotency-Key`` honoured."""
        case = services.after_sale_refund_execute(actor=request.user, after_sale=self.get_object())
        return self.respond(case)


class ReviewViewSet(ScopedViewSet):
    """Reviews in the caller's scope: reply, hide with a reason, show again."""

    serializer_class = ProductReviewSerializer
    list_selector = _review_rows
    filterset_class = ReviewFilter
    required_permissions = {
        "list": [perms.VIEW_REVIEW],
        "retrieve": [perms.VIEW_REVIEW],
        "reply": [perms.VIEW_REVIEW, perms.REPLY_REVIEW],
        "hide": [perms.VIEW_REVIEW, perms.HIDE_REVIEW],
        "show": [perms.VIEW_REVIEW, perms.HIDE_REVIEW],
    }

    @extend_schema(request=ProductReviewReplyInput, responses=ProductReviewSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Answer the review (stops the negative-review clock)."""
        data = self.validated(ProductReviewReplyInput)
        review = review_services.review_reply(
            actor=request.user, review=self.get_object(), text=data["text"]
        )
        return self.respond(review)

    @extend_schema(request=AfterSaleReasonInput, responses=ProductReviewSerializer)
    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None):
        """Hide a violating review with a reason."""
        data = self.validated(AfterSaleReasonInput)
        review = review_services.review_hide(
            actor=request.user, review=self.get_object(), reason=data["reason"]
        )
        return self.respond(review)

    @extend_schema(request=ReviewShowInput, responses=ProductReviewSerializer)
    @action(detail=True, methods=["post"])
    def show(self, request, pk=None):
        """Show a hidden review again."""
        data = self.validated(ReviewShowInput)
        review = review_services.review_show(
            actor=request.user, review=self.get_object(), reason=data.get("reason", "")
        )
        return self.respond(review)


router = SimpleRouter()
router.register("api/v1/after-sales", AfterSaleViewSet, basename="after-sale")
router.register("api/v1/reviews", ReviewViewSet, basename="review")

urlpatterns = [*router.urls]
