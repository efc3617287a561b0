"""Catalog endpoints: staff under ``/api/v1/catalog/``, storefront under ``/api/v1/store/``.

Views validate input with a serializer, read through ``selectors`` (the data
scope: out of scope is 404), call one service and render the result.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.job_apis import FileJobSerializer, file_job_accepted_body
from mall.core.money import money_str
from mall.core.pagination import DefaultCursorPagination
from mall.core.parameters import EXPORT_SYNC_MAX_ROWS, kernel_parameter
from mall.core.permissions import HasActionPermissions

from . import permissions as perms
from . import selectors, services
from .availability import sellable_stock
from .excel import (
    product_export,
    product_export_request,
    product_export_rows,
    product_import_request,
)
from .exceptions import CategoryNotFound, InvalidProductData, ProductNotFound
from .models import ProductImage
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
    ProductFilterInput,
    ProductImageSerializer,
    ProductImportSerializer,
    ProductSerializer,
    ProductUpdateInput,
    PromotionInput,
    PromotionSerializer,
    ReasonInput,
    ScheduleInput,
    SkuFilterInput,
    SkuInput,
    SkuSerializer,
    SkuUpdateInput,
    StoreCategoryTreeSerializer,
    StoreProductDetailSerializer,
    StoreProductFilterInput,
    StoreProductSerializer,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ID_REGEX = r"[0-9]{1,9}"


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _staff_user(user_id):
    """Resolve an owner id to an active staff member, or raise a field error."""
    if user_id is None:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    if user is None:
        raise InvalidProductData(fields={"owner": [_("No active staff member with this id.")]})
    return user


def _product_values(actor, data: dict) -> dict:
    values = dict(data)
    if "category" in values:
        try:
            values["category"] = selectors.category_get(actor=actor, category_id=values["category"])
        except CategoryNotFound:  # a 404 for the category itself; here a bad field
            raise InvalidProductData(fields={"category": [_("No such category.")]}) from None
    if "owner" in values:
        values["owner"] = _staff_user(values["owner"])
    return values


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- staff: products -------------------------------------------------------------------


class ProductViewSet(viewsets.GenericViewSet):
    """Products (SPU) with SKUs and the listing workflow, in the caller's data scope."""

    serializer_class = ProductSerializer
    permission_classes = [HasActionPermissions]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    http_method_names = ["get", "post", "patch", "delete"]
    required_permissions = {
        "list": [perms.VIEW_PRODUCT],
        "retrieve": [perms.VIEW_PRODUCT],
        "create": [perms.ADD_PRODUCT],
        "partial_update": [perms.CHANGE_PRODUCT],
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

    def get_queryset(self):
        return selectors.product_list(actor=self.request.user)

    def _product(self):
        return selectors.product_get(actor=self.request.user, product_id=self.kwargs["pk"])

    def _render(self, product, code=status.HTTP_200_OK) -> Response:
        try:
            fresh = selectors.product_get(actor=self.request.user, product_id=product.pk)
        except ProductNotFound:
            # The write itself moved the product out of the caller's scope (a new
            # owner): answer with what was saved, not a 404 for a committed change.
            fresh = product
        return Response(ProductSerializer(fresh).data, status=code)

    @extend_schema(
        parameters=[ProductFilterInput],
        responses=ProductSerializer(many=True),
        summary="List products in the caller's data scope",
    )
    def list(self, request):
        filters = _valid(ProductFilterInput, request.query_params)
        products = selectors.product_list(
            actor=request.user,
            status=filters.get("status"),
            category_id=filters.get("category"),
            owner_id=filters.get("owner"),
            q=filters.get("q"),
        )
        page = self.paginate_queryset(products)
        return self.get_paginated_response(ProductSerializer(page, many=True).data)

    @extend_schema(request=ProductCreateInput, responses={201: ProductSerializer})
    def create(self, request):
        data = _valid(ProductCreateInput, request.data)
        values = _product_values(request.user, data)
        product = services.product_create(
            actor=request.user,
            code=values.pop("code"),
            title=values.pop("title"),
            category=values.pop("category"),
            owner=values.pop("owner", None),
            skus=[dict(sku) for sku in values.pop("skus", [])],
            **values,
        )
        return self._render(product, status.HTTP_201_CREATED)

    @extend_schema(responses=ProductSerializer)
    def retrieve(self, request, pk=None):
        return Response(ProductSerializer(self._product()).data)

    @extend_schema(request=ProductUpdateInput, responses=ProductSerializer)
    def partial_update(self, request, pk=None):
        product = self._product()
        values = _product_values(request.user, _valid(ProductUpdateInput, request.data))
        product = services.product_update(actor=request.user, product=product, **values)
        return self._render(product)

    @extend_schema(request=None, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send the product to listing review (runs the compliance checks)."""
        product = services.product_submit(actor=request.user, product=self._product())
        return self._render(product)

    @extend_schema(request=ApproveInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the listing (never the author's own); optionally schedule it."""
        data = _valid(ApproveInput, request.data)
        product = services.product_approve(
            actor=request.user,
            product=self._product(),
            note=data["note"],
            scheduled_listing_at=data["scheduled_listing_at"],
        )
        return self._render(product)

    @extend_schema(request=ReasonInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the listing with a reason."""
        data = _valid(ReasonInput, request.data)
        product = services.product_reject(
            actor=request.user, product=self._product(), reason=data["reason"]
        )
        return self._render(product)

    @extend_schema(request=None, responses=ProductSerializer)
    @action(detail=True, methods=["post"], url_path="on-shelf")
    def on_shelf(self, request, pk=None):
        product = services.product_on_shelf(actor=request.user, product=self._product())
        return self._render(product)

    @extend_schema(request=OptionalReasonInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"], url_path="off-shelf")
    def off_shelf(self, request, pk=None):
        data = _valid(OptionalReasonInput, request.data)
        product = services.product_off_shelf(
            actor=request.user, product=self._product(), reason=data["reason"]
        )
        return self._render(product)

    @extend_schema(request=ScheduleInput, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        """Set or clear the time an approved product goes on shelf."""
        data = _valid(ScheduleInput, request.data)
        product = services.product_schedule_listing(
            actor=request.user, product=self._product(), listing_at=data["listing_at"]
        )
        return self._render(product)

    @extend_schema(request=BulkShelfInput, responses=BulkShelfResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-shelf")
    def bulk_shelf(self, request):
        """Put many products on or off shelf; ids outside the scope count as failed."""
        data = _valid(BulkShelfInput, request.data)
        visible = {
            p.pk: p for p in selectors.product_visible_to(request.user).filter(pk__in=data["ids"])
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
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every step of the product, oldest first: rounds, reviewers, reasons."""
        events = selectors.product_history(actor=request.user, product=self._product())
        return Response(ProductEventSerializer(events, many=True).data)

    @extend_schema(responses=ComplianceSerializer)
    @action(detail=True, methods=["get"])
    def compliance(self, request, pk=None):
        """Run the listing checks without submitting."""
        problems = services.product_compliance_problems(self._product())
        return Response({"ok": not problems, "problems": problems})

    @extend_schema(
        request={"multipart/form-data": ImageInput}, responses={201: ProductImageSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def images(self, request, pk=None):
        """Upload a picture (JPEG, PNG, GIF or WebP, at most 5 MB)."""
        data = _valid(ImageInput, request.data)
        image = services.product_image_add(
            actor=request.user,
            product=self._product(),
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
        product = self._product()
        image = ProductImage.objects.filter(product=product, pk=image_id).first()
        if image is None:
            raise ProductNotFound(code="image_not_found")
        services.product_image_remove(actor=request.user, image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SkuInput, responses={201: SkuSerializer})
    @action(detail=True, methods=["post"], url_path="skus")
    def add_sku(self, request, pk=None):
        data = _valid(SkuInput, request.data)
        sku = services.sku_create(actor=request.user, product=self._product(), **data)
        return Response(SkuSerializer(sku).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[ProductFilterInput],
        responses={(200, XLSX): OpenApiTypes.BINARY, 202: FileJobSerializer},
        summary="Export the products in scope as Excel (one row per SKU)",
        description=(
            "More SKU rows than `core.export_sync_max_rows`: 202 with the job; poll "
            "`status_url`, then fetch `download_url`."
        ),
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        filters = _valid(ProductFilterInput, request.query_params)
        products = selectors.product_list(
            actor=request.user,
            status=filters.get("status"),
            category_id=filters.get("category"),
            owner_id=filters.get("owner"),
            q=filters.get("q"),
        )
        if product_export_rows(products) > kernel_parameter(EXPORT_SYNC_MAX_ROWS):
            job = product_export_request(actor=request.user, filters=dict(filters))
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
        data = _valid(ImportInput, request.data)
        job = product_import_request(
            actor=request.user, file=data["file"], file_name=data["file"].name
        )
        return Response(file_job_accepted_body(job, request), status=status.HTTP_202_ACCEPTED)


# --- staff: SKUs and promotions --------------------------------------------------------


class SkuViewSet(viewsets.GenericViewSet):
    serializer_class = SkuSerializer
    permission_classes = [HasActionPermissions]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    http_method_names = ["get", "patch"]
    required_permissions = {
        "list": [perms.VIEW_SKU],
        "retrieve": [perms.VIEW_SKU],
        "partial_update": [perms.CHANGE_SKU],
        "price_history": [perms.VIEW_SKU],
    }

    def get_queryset(self):
        return selectors.sku_visible_to(self.request.user)

    @extend_schema(
        parameters=[SkuFilterInput],
        responses=SkuSerializer(many=True),
    )
    def list(self, request):
        params = _valid(SkuFilterInput, request.query_params)
        skus = self.get_queryset()
        if params.get("product"):
            skus = skus.filter(product_id=params["product"])
        if params.get("code"):
            skus = skus.filter(code=params["code"])
        page = self.paginate_queryset(skus)
        return self.get_paginated_response(SkuSerializer(page, many=True).data)

    @extend_schema(responses=SkuSerializer)
    def retrieve(self, request, pk=None):
        return Response(SkuSerializer(selectors.sku_get(actor=request.user, sku_id=pk)).data)

    @extend_schema(request=SkuUpdateInput, responses=SkuSerializer)
    def partial_update(self, request, pk=None):
        sku = selectors.sku_get(actor=request.user, sku_id=pk)
        data = dict(_valid(SkuUpdateInput, request.data))
        sku = services.sku_update(actor=request.user, sku=sku, **data)
        return Response(SkuSerializer(sku).data)

    @extend_schema(responses=PriceChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="price-history")
    def price_history(self, request, pk=None):
        """Every sale-price change: who, when, old and new price."""
        sku = selectors.sku_get(actor=request.user, sku_id=pk)
        changes = selectors.sku_price_history(actor=request.user, sku=sku)
        return Response(PriceChangeSerializer(changes, many=True).data)


class PromotionViewSet(viewsets.GenericViewSet):
    serializer_class = PromotionSerializer
    permission_classes = [HasActionPermissions]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    http_method_names = ["get", "post"]
    required_permissions = {
        "list": [perms.VIEW_PROMOTION],
        "retrieve": [perms.VIEW_PROMOTION],
        "create": [perms.ADD_PROMOTION],
        "cancel": [perms.CHANGE_PROMOTION],
    }

    def get_queryset(self):
        return selectors.promotion_visible_to(self.request.user)

    @extend_schema(responses=PromotionSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PromotionSerializer(page, many=True).data)

    @extend_schema(responses=PromotionSerializer)
    def retrieve(self, request, pk=None):
        promotion = selectors.promotion_get(actor=request.user, promotion_id=pk)
        return Response(PromotionSerializer(promotion).data)

    @extend_schema(request=PromotionInput, responses={201: PromotionSerializer})
    def create(self, request):
        """Set a promotion price; refused unless below the 30-day lowest price."""
        data = _valid(PromotionInput, request.data)
        sku = selectors.sku_get(actor=request.user, sku_id=data["sku"])
        promotion = services.promotion_price_create(
            actor=request.user,
            sku=sku,
            price_amount=data["price_amount"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            note=data["note"],
        )
        return Response(PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OptionalReasonInput, responses=PromotionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = _valid(OptionalReasonInput, request.data)
        promotion = selectors.promotion_get(actor=request.user, promotion_id=pk)
        promotion = services.promotion_price_cancel(
            actor=request.user, promotion=promotion, reason=data["reason"]
        )
        return Response(PromotionSerializer(promotion).data)


# --- staff: category tree --------------------------------------------------------------


class CategoryViewSet(viewsets.GenericViewSet):
    serializer_class = CategorySerializer
    permission_classes = [HasActionPermissions]
    pagination_class = None
    lookup_value_regex = ID_REGEX
    http_method_names = ["get"]
    required_permissions = {"list": [perms.VIEW_CATEGORY], "retrieve": [perms.VIEW_CATEGORY]}

    def get_queryset(self):
        return selectors.category_list(actor=self.request.user)

    @extend_schema(responses=CategorySerializer(many=True))
    def list(self, request):
        return Response(CategorySerializer(self.get_queryset(), many=True).data)

    @extend_schema(responses=CategorySerializer)
    def retrieve(self, request, pk=None):
        category = selectors.category_get(actor=request.user, category_id=pk)
        return Response(CategorySerializer(category).data)


class CategoryChangeViewSet(viewsets.GenericViewSet):
    """Requests to change the category tree; the ops lead approves or rejects."""

    serializer_class = CategoryChangeSerializer
    permission_classes = [HasActionPermissions]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    http_method_names = ["get", "post"]
    required_permissions = {
        "list": ["catalog.view_categorychangerequest"],
        "retrieve": ["catalog.view_categorychangerequest"],
        "create": [perms.REQUEST_CATEGORY_CHANGE],
        "approve": [perms.APPROVE_CATEGORY_CHANGE],
        "reject": [perms.APPROVE_CATEGORY_CHANGE],
    }

    def get_queryset(self):
        return selectors.category_change_list(actor=self.request.user)

    @extend_schema(responses=CategoryChangeSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CategoryChangeSerializer(page, many=True).data)

    @extend_schema(responses=CategoryChangeSerializer)
    def retrieve(self, request, pk=None):
        change = selectors.category_change_get(actor=request.user, change_id=pk)
        return Response(CategoryChangeSerializer(change).data)

    @extend_schema(request=CategoryChangeInput, responses={201: CategoryChangeSerializer})
    def create(self, request):
        data = _valid(CategoryChangeInput, request.data)
        category = None
        if data.get("category"):
            category = selectors.category_get(actor=request.user, category_id=data["category"])
        change = services.category_change_request(
            actor=request.user,
            kind=data["kind"],
            category=category,
            payload=dict(data.get("payload") or {}),
            reason=data["reason"],
        )
        return Response(CategoryChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInput, responses=CategoryChangeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = _valid(DecisionInput, request.data)
        change = selectors.category_change_get(actor=request.user, change_id=pk)
        change = services.category_change_approve(
            actor=request.user, change=change, note=data["note"]
        )
        return Response(CategoryChangeSerializer(change).data)

    @extend_schema(request=ReasonInput, responses=CategoryChangeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = _valid(ReasonInput, request.data)
        change = selectors.category_change_get(actor=request.user, change_id=pk)
        change = services.category_change_reject(
            actor=request.user, change=change, note=data["reason"]
        )
        return Response(CategoryChangeSerializer(change).data)


class ProductImportViewSet(viewsets.GenericViewSet):
    serializer_class = ProductImportSerializer
    permission_classes = [HasActionPermissions]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    http_method_names = ["get"]
    required_permissions = {
        "list": [perms.IMPORT_PRODUCT],
        "retrieve": [perms.IMPORT_PRODUCT],
        "report": [perms.IMPORT_PRODUCT],
    }

    def get_queryset(self):
        return selectors.product_import_list(actor=self.request.user)

    @extend_schema(responses=ProductImportSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProductImportSerializer(page, many=True).data)

    @extend_schema(responses=ProductImportSerializer)
    def retrieve(self, request, pk=None):
        record = selectors.product_import_get(actor=request.user, import_id=pk)
        return Response(ProductImportSerializer(record).data)

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """Download the per-row error report of a failed import."""
        record = selectors.product_import_get(actor=request.user, import_id=pk)
        if not record.report:
            raise ProductNotFound(_("This import has no error report."), code="report_not_found")
        with record.report.open("rb") as handle:
            content = handle.read()
        return _xlsx_response(content, f"import-{record.pk}-errors.xlsx")


# --- storefront ------------------------------------------------------------------------


class _StoreView(APIView):
    """Guests may browse: no authentication, no staff permission."""

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
        return Response({"results": selectors.store_category_tree()})


class StoreProductListView(_StoreView):
    pagination_class = DefaultCursorPagination

    @extend_schema(
        auth=[],
        parameters=[StoreProductFilterInput],
        responses=StoreProductSerializer(many=True),
        summary="On-shelf products, by category (any level) and text",
    )
    def get(self, request):
        filters = _valid(StoreProductFilterInput, request.query_params)
        products = selectors.store_products(category_id=filters.get("category"), q=filters.get("q"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(products, request, view=self)
        data = StoreProductSerializer(page, many=True, context=_store_context(page)).data
        return paginator.get_paginated_response(data)


class StoreProductDetailView(_StoreView):
    @extend_schema(auth=[], responses=StoreProductDetailSerializer, summary="One on-shelf product")
    def get(self, request, pk: int):
        product = selectors.store_product_get(pk)
        context = _store_context([product])
        return Response(StoreProductDetailSerializer(product, context=context).data)
