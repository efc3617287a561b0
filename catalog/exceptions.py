"""Domain errors of the catalog app, each with a stable code."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound
from mall.core.transitions import InvalidTransition as StatusChangeRefused


class CatalogError(ApplicationError):
    code = "catalog_error"


class ProductNotFound(CatalogError, NotFound):
    code = "product_not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("Product not found.")


class SkuNotFound(CatalogError, NotFound):
    code = "sku_not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("SKU not found.")


class CategoryNotFound(CatalogError, NotFound):
    code = "category_not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_message = _("Category not found.")


class CatalogPermissionDenied(CatalogError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to perform this action.")


class InvalidProductData(CatalogError):
    code = "invalid_product"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The product data is not valid.")


class ComplianceCheckFailed(CatalogError):
    code = "compliance_check_failed"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The product does not pass the listing checks.")


class InvalidTransition(CatalogError, StatusChangeRefused):
    """A status change the catalog's own rules refuse in the current state.

    A subclass of the kernel's ``InvalidTransition`` (the table's refusal), so one
    ``except`` catches both and both answer 409 ``invalid_transition``.
    """

    code = "invalid_transition"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The product cannot make this status change now.")


class ProductLocked(CatalogError):
    code = "product_locked"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The product cannot be edited in its current status.")


class ReviewerIsAuthor(CatalogError):
    code = "reviewer_is_author"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("The author of a product cannot review it.")


class PromotionPriceRefused(CatalogError):
    code = "promotion_price_not_lowest"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The promotion price must be lower than the recent lowest price.")


class PromotionOverlap(CatalogError):
    code = "promotion_overlap"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Another promotion price of this SKU overlaps this period.")


class CategoryChangeInvalid(CatalogError):
    code = "invalid_category_change"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The category change is not valid.")


class CategoryChangeConflict(CatalogError):
    code = "category_change_conflict"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The category change request was already decided.")


class ImportFileInvalid(CatalogError):
    code = "import_file_invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The file is not a readable Excel workbook.")
