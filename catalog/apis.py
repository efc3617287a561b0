"""Catalog endpoints: staff under ``/api/v1/catalog/``, storefront under ``/api/v1/store/``.

Staff viewsets are the kernel's :class:`~mall.core.api.ScopedViewSet`: they read
through ``selectors`` (out of scope is 404), filter with ``catalog/filters.py``,
validate input with a serializer, call one service and render the result.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.api import ID_REGEX, ScopedFilterBackend, ScopedViewSet
from mall.core.exports import register_export_view
from mall.core.job_apis import FileJobSerializer, file_job_accepted_body
from mall.core.money import money_str
from mall.core.pagination import DefaultCursorPagination
from mall.core.parameters import EXPORT_SYNC_MAX_ROWS, kernel_parameter

from . import permissions as perms
from . import selectors, services
from .availability import sellable_stock
from .compliance import product_compliance_problems
from .excel import (
    EXPORT_JOB_NAME,
    product_export,
    product_export_request,
    product_export_rows,
    product_import_request,
)
from .exceptions import CategoryNotFound, InvalidProductData, ProductNotFound
from .filters import (
    CategoryChangeFilter,
    CategoryFilter,
    ProductFilter,
    ProductImportFilter,
    PromotionFilter,
    SkuFilter,
    StoreProductFilter,
)
from .serializers import (
    ApproveInput,
    BulkShelfInput,
    BulkShelfResultSerializer,
    CategoryChangeInput,
    CategoryChangeSerializer,
    CategorySerializer,
    ComplianceSerializer,
    DecisionInput,
    ImageInput,
    ImportInput,
    OptionalReasonInput,
    PriceChangeSerializer,
    ProductCreateInput,
    ProductEventSerializer,
    ProductImageSerializer,
    ProductImportSerializer,
    ProductSerializer,
    ProductUpdateInput,
    PromotionInput,
    PromotionSerializer,
    ReasonInput,
    ScheduleInput,
    SkuInput,
    SkuSerializer,
    SkuUpdateInput,
    StoreCategoryTreeSerializer,
    StoreProductDetailSerializer,
    StoreProductSerializer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _staff_user(actor, user_id):
    """Resolve an owner id to an active staff member, or raise a field error."""
    if user_id is None:
        return None
    user = selectors.product_owner_choices(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise InvalidProductData(fields={"owner": [_("No active staff member with this id.")]})
    return user


def _product_values(actor, data: dict) -> dict:
    values = dict(data)
    if "category" in values:
        try:
            values["category"] = selectors.category_get(actor=actor, pk=values["category"])
        except CategoryNotFound:  # a 404 for the category itself; here a bad field
            raise InvalidProductData(fields={"category": [_("No such category.")]}) from None
    if "owner" in values:
        values["owner"] = _staff_user(actor, values["owner"])
    return values


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- staff: products -------------------------------------------------------------------


class ProductViewSet(ScopedViewSet):
    """Products (SPU) with SKUs and the listing workflow, in the caller's data scope."""

    serializer_class = ProductSerializer
    list_selector = selectors.product_list
    get_selector = selectors.product_get
    filterset_class = ProductFilter
    http_method_names = ["get", "post", "patch", "delete"]
    required_permissions = {
        "submit": [perms.SUBMIT_PRODUCT],
        "approve": [perms.REVIEW_PRODUCT],
        "reject": [perms.REVIEW_PRODUCT],
        "on_shelf": [perms.PUBLISH_PRODUCT],
        "off_shelf": [perms.PUBLISH_PRODUCT],
        "schedule": [perms.PUBLISH_PRODUCT],
        "bulk_shelf": [perms.PUBLISH_PRODUCT],
        "history": [perms.VIEW_PRODUCT],
        "compliance": [perms.VIEW_PRODUCT],
        "images": [perms.CHANGE_PRODUCT],
        "image_delete": [perms.CHANGE_PRODUCT],
        "add_sku": [perms.ADD_SKU],
        "export": [perms.EXPORT_PRODUCT],
        "import_file": [perms.IMPORT_PRODUCT],
    }

    @extend_schema(summary="List products in the caller's data scope")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ProductCreateInput, responses={201: ProductSerializer})
    def create(self, request):
        values = _product_values(request.user, self.validated(ProductCreateInput))
        product = services.product_create(
            actor=request.user,
            code=values.pop("code"),
            title=values.pop("title"),
            category=values.pop("category"),
            owner=values.pop("owner", None),
            skus=[dict(sku) for sku in values.pop("skus", [])],
            **values,
        )
        return self.respond(product, status.HTTP_201_CREATED)

    @extend_schema(request=ProductUpdateInput, responses=ProductSerializer)
    def partial_update(self, request, pk=None):
        product = self.get_object()
        values = _product_values(request.user, self.validated(ProductUpdateInput))
        product = services.product_update(actor=request.user, product=product, **values)
        return self.respond(product)

    @extend_schema(request=None, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the product to listing review (runs the compliance checks)."""
        product = services.product_submit(actor=request.user, product=self.get_object())
        return self.respond(product)

    @extend_schema(request=ApproveInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the listing (never the author's own); optionally schedule it."""
        data = self.validated(ApproveInput)
        product = services.product_approve(
            actor=request.user,
            product=self.get_object(),
            note=data["note"],
            scheduled_listing_at=data["scheduled_listing_at"],
        )
        return self.respond(product)

    @extend_schema(request=ReasonInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the listing with a reason."""
        data = self.validated(ReasonInput)
        product = services.product_reject(
            actor=request.user, product=self.get_object(), reason=data["reason"]
        )
        return self.respond(product)

    @extend_schema(request=None, responses=ProductSerializer)
    @action(detail=True, methods=["post"], url_path="on-shelf")
    def on_shelf(self, request, pk=None):
        product = services.product_on_shelf(actor=request.user, product=self.get_object())
        return self.respond(product)

    @extend_schema(request=OptionalReasonInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"], url_path="off-shelf")
    def off_shelf(self, request, pk=None):
        data = self.validated(OptionalReasonInput)
        product = services.product_off_shelf(
            actor=request.user, product=self.get_object(), reason=data["reason"]
        )
        return self.respond(product)

    @extend_schema(request=ScheduleInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        """Set or clear the time an approved product goes on shelf."""
        data = self.validated(ScheduleInput)
        product = services.product_schedule_listing(
            actor=request.user, product=self.get_object(), listing_at=data["listing_at"]
        )
        return self.respond(product)

    @extend_schema(request=BulkShelfInput, responses=BulkShelfResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-shelf", pagination_class=None)
    def bulk_shelf(self, request):
        """Put many products on or off shelf; ids outside the scope count as failed."""
        data = self.validated(BulkShelfInput)
        visible = {
            p.pk: p
            for p in selectors.product_visible_to(actor=request.user).filter(pk__in=data["ids"])
        }
        done, failed = services.products_bulk_shelf(
            actor=request.user,
            products=list(visible.values()),
            on_shelf=data["action"] == "on_shelf",
            reason=data["reason"],
        )
        result = {str(pk): str(message) for pk, message in failed.items()}
        for pk in data["ids"]:
            if pk not in visible:
                result[str(pk)] = _("Product not found.")
        return Response({"done": [p.pk for p in done], "failed": result})

    @extend_schema(responses=ProductEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Every step of the product, oldest first: rounds, reviewers, reasons."""
        events = selectors.product_history(actor=request.user, product=self.get_object())
        return Response(ProductEventSerializer(events, many=True).data)

    @extend_schema(responses=ComplianceSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def compliance(self, request, pk=None):
        """Run the listing checks without submitting."""
        problems = product_compliance_problems(self.get_object())
        return Response({"ok": not problems, "problems": problems})

    @extend_schema(
        request={"multipart/form-data": ImageInput}, responses={201: ProductImageSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def images(self, request, pk=None):
        """Upload a picture (JPEG, PNG, GIF or WebP, at most 5 MB)."""
        data = self.validated(ImageInput)
        image = services.product_image_add(
            actor=request.user,
            product=self.get_object(),
            image=data["image"],
            alt_text=data["alt_text"],
        )
        return Response(ProductImageSerializer(image).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=rf"images/(?P<image_id>{ID_REGEX})",
    )
    def image_delete(self, request, pk=None, image_id=None):
        image = selectors.product_image_get(
            actor=request.user, product=self.get_object(), pk=image_id
        )
        services.product_image_remove(actor=request.user, image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SkuInput, responses={201: SkuSerializer})
    @action(detail=True, methods=["post"], url_path="skus")
    def add_sku(self, request, pk=None):
        data = self.validated(SkuInput)
        sku = services.sku_create(actor=request.user, product=self.get_object(), **data)
        return Response(SkuSerializer(sku).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        filters=True,
        responses={(200, XLSX): OpenApiTypes.BINARY, 202: FileJobSerializer},
        summary="Export the products in scope as Excel (one row per SKU)",
        description=(
            "More SKU rows than `core.export_sync_max_rows`: 202 with the job; poll "
            "`status_url`, then fetch `download_url`."
        ),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        products = self.filter_queryset(self.get_queryset())
        filters = {key: value for key, value in request.query_params.items() if key != "format"}
        if product_export_rows(products) > kernel_parameter(EXPORT_SYNC_MAX_ROWS):
            query = [(key, value) for key, items in request.query_params.lists() for value in items]
            job = product_export_request(actor=request.user, query=query)
            return Response(file_job_accepted_body(job, request), status=status.HTTP_202_ACCEPTED)
        content = product_export(actor=request.user, products=products, filters=filters)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return _xlsx_response(content, f"products-{stamp}.xlsx")

    @extend_schema(
        request={"multipart/form-data": ImportInput},
        responses={202: FileJobSerializer},
        summary="Import products from Excel (a job): all rows or none",
        description=(
            "A file that is not a workbook with the columns, or with no or too many rows, "
            "answers 400 `import_file_invalid` at once. Otherwise the import runs as a job: "
            "202 with `job` and `status_url` (`/api/v1/jobs/{id}/`: progress, then `result` "
            "with `import`, the record id, and the counts). A file with problems changes "
            "nothing: the job ends `failed` with the per-row `result.errors` and the error "
            "report at `download_url`."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request):
        data = self.validated(ImportInput)
        job = product_import_request(
            actor=request.user, file=data["file"], file_name=data["file"].name
        )
        return Response(file_job_accepted_body(job, request), status=status.HTTP_202_ACCEPTED)


# A large export runs as a job that rebuilds this viewset for its owner (mall/core/exports.py).
register_export_view(EXPORT_JOB_NAME, ProductViewSet)


# --- staff: SKUs and promotions --------------------------------------------------------


class SkuViewSet(ScopedViewSet):
    serializer_class = SkuSerializer
    list_selector = selectors.sku_list
    get_selector = selectors.sku_get
    filterset_class = SkuFilter
    http_method_names = ["get", "patch"]
    required_permissions = {"price_history": [perms.VIEW_SKU]}

    @extend_schema(request=SkuUpdateInput, responses=SkuSerializer)
    def partial_update(self, request, pk=None):
        data = dict(self.validated(SkuUpdateInput))
        sku = services.sku_update(actor=request.user, sku=self.get_object(), **data)
        return self.respond(sku)

    @extend_schema(responses=PriceChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="price-history", pagination_class=None)
    def price_history(self, request, pk=None):
        """Every sale-price change: who, when, old and new price."""
        changes = selectors.sku_price_history(actor=request.user, sku=self.get_object())
        return Response(PriceChangeSerializer(changes, many=True).data)


class PromotionViewSet(ScopedViewSet):
    serializer_class = PromotionSerializer
    list_selector = selectors.promotion_list
    get_selector = selectors.promotion_get
    filterset_class = PromotionFilter
    http_method_names = ["get", "post"]
    required_permissions = {"cancel": [perms.CHANGE_PROMOTION]}

    @extend_schema(request=PromotionInput, responses={201: PromotionSerializer})
    def create(self, request):
        """Set a promotion price; refused unless below the 30-day lowest price."""
        data = self.validated(PromotionInput)
        sku = selectors.sku_get(actor=request.user, pk=data["sku"])
        promotion = services.promotion_price_create(
            actor=request.user,
            sku=sku,
            price_amount=data["price_amount"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            note=data["note"],
        )
        return self.respond(promotion, status.HTTP_201_CREATED)

    @extend_schema(request=OptionalReasonInput, responses=PromotionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = self.validated(OptionalReasonInput)
        promotion = services.promotion_price_cancel(
            actor=request.user, promotion=self.get_object(), reason=data["reason"]
        )
        return self.respond(promotion)


# --- staff: category tree --------------------------------------------------------------


class CategoryViewSet(ScopedViewSet):
    """The category tree (reference data, a few hundred rows: not paginated)."""

    serializer_class = CategorySerializer
    list_selector = selectors.category_list
    get_selector = selectors.category_get
    filterset_class = CategoryFilter
    pagination_class = None
    http_method_names = ["get"]


class CategoryChangeViewSet(ScopedViewSet):
    """Requests to change the category tree; the ops lead approves or rejects."""

    serializer_class = CategoryChangeSerializer
    list_selector = selectors.category_change_list
    get_selector = selectors.category_change_get
    filterset_class = CategoryChangeFilter
    http_method_names = ["get", "post"]
    required_permissions = {
        "create": [perms.REQUEST_CATEGORY_CHANGE],
        "approve": [perms.APPROVE_CATEGORY_CHANGE],
        "reject": [perms.APPROVE_CATEGORY_CHANGE],
    }

    @extend_schema(request=CategoryChangeInput, responses={201: CategoryChangeSerializer})
    def create(self, request):
        data = self.validated(CategoryChangeInput)
        category = None
        if data.get("category"):
            category = selectors.category_get(actor=request.user, pk=data["category"])
        change = services.category_change_request(
            actor=request.user,
            kind=data["kind"],
            category=category,
            payload=dict(data.get("payload") or {}),
            reason=data["reason"],
        )
        return self.respond(change, status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInput, responses=CategoryChangeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = self.validated(DecisionInput)
        change = services.category_change_approve(
            actor=request.user, change=self.get_object(), note=data["note"]
        )
        return self.respond(change)

    @extend_schema(request=ReasonInput, responses=CategoryChangeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = self.validated(ReasonInput)
        change = services.category_change_reject(
            actor=request.user, change=self.get_object(), note=data["reason"]
        )
        return self.respond(change)


class ProductImportViewSet(ScopedViewSet):
    """Import records (one's own: the data scope of an import is who ran it)."""

    serializer_class = ProductImportSerializer
    list_selector = selectors.product_import_list
    get_selector = selectors.product_import_get
    filterset_class = ProductImportFilter
    http_method_names = ["get"]
    required_permissions = {
        "list": [perms.IMPORT_PRODUCT],
        "retrieve": [perms.IMPORT_PRODUCT],
        "report": [perms.IMPORT_PRODUCT],
    }

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], pagination_class=None)
    def report(self, request, pk=None):
        """Download the per-row error report of a failed import."""
        record = self.get_object()
        if not record.report:
            raise ProductNotFound(_("This import has no error report."), code="report_not_found")
        with record.report.open("rb") as handle:
            content = handle.read()
        return _xlsx_response(content, f"import-{record.pk}-errors.xlsx")


# --- storefront ------------------------------------------------------------------------


class _StoreView(APIView):
    """Guests may browse: no authentication, no staff permission.

    Storefront reads pass ``actor=None`` (the guest): what they show is the same
    for everyone.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]


def _store_context(products) -> dict:
    """Prices and availability for every SKU of ``products`` (one stock call per page)."""
    skus = [sku for product in products for sku in product.skus.all()]
    stock = sellable_stock(sku.pk for sku in skus)
    views: dict[int, dict] = {}
    for sku in skus:
        running = getattr(sku, "running_promotions", [])
        price = min([sku.price_amount, *(promo.price_amount for promo in running)])
        views[sku.pk] = {
            "code": sku.code,
            "spec": sku.spec or {},
            "price": money_str(price),
            "list_price": money_str(sku.price_amount),
            "available": stock.get(sku.pk, 0) > 0,
        }
    return {"sku_view": lambda sku: views[sku.pk]}


class StoreCategoryTreeView(_StoreView):
    @extend_schema(auth=[], responses=StoreCategoryTreeSerializer, summary="The category tree")
    def get(self, request):
        return Response({"results": selectors.store_category_tree(actor=None)})


class StoreProductListView(_StoreView, generics.GenericAPIView):
    filter_backends = [ScopedFilterBackend]
    filterset_class = StoreProductFilter
    pagination_class = DefaultCursorPagination

    def get_queryset(self):
        return selectors.store_product_list(actor=None)

    @extend_schema(
        auth=[],
        responses=StoreProductSerializer(many=True),
        summary="On-shelf products, by category (any level) and text",
    )
    def get(self, request):
        products = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(products)
        data = StoreProductSerializer(page, many=True, context=_store_context(page)).data
        return self.get_paginated_response(data)


class StoreProductDetailView(_StoreView):
    @extend_schema(auth=[], responses=StoreProductDetailSerializer, summary="One on-shelf product")
    def get(self, request, pk: int):
        product = selectors.store_product_get(actor=None, pk=pk)
        context = _store_context([product])
        return Response(StoreProductDetailSerializer(product, context=context).data)
