"""Every write of the catalog. Import from here: ``from catalog import services``.

Split by topic:

* ``products`` — products and SKUs (create, edit content, pictures) and the
  product's status table with its one transition helper;
* ``pricing`` — the price history, promotion prices and the lowest-price rule;
* ``listing`` — the listing review and the shelf (submit, approve, reject,
  schedule, on/off shelf, bulk, scheduled publishing);
* ``categories`` — category change requests and their approval, demo seeding;
* ``imports`` — the status table of Excel imports (the import itself is
  ``catalog.excel.product_import``).

Each service is atomic, checks the actor's function permission (data scope is the
caller's job: it loads the objects through ``selectors``), validates its rules and
writes with ``update_fields``. Status changes go through the kernel's
``transition()`` (which writes the audit entry); a product's also appends a
``ProductEvent``. Importing this package registers every status table.
"""

from .categories import (
    CATEGORY_CHANGE_TRANSITIONS,
    category_change_approve,
    category_change_reject,
    category_change_request,
    category_seed,
)
from .common import _require
from .imports import PRODUCT_IMPORT_TRANSITIONS
from .listing import (
    product_approve,
    product_off_shelf,
    product_on_shelf,
    product_reject,
    product_schedule_listing,
    product_submit,
    products_bulk_shelf,
    products_publish_scheduled,
)
from .pricing import PROMOTION_TRANSITIONS, promotion_price_cancel, promotion_price_create
from .products import (
    CONTENT_EDITABLE,
    CONTENT_REOPENS,
    MAX_SORT_ORDER,
    MAX_WEIGHT_GRAMS,
    PRODUCT_FIELDS,
    PRODUCT_TRANSITIONS,
    SKU_CONTENT_FIELDS,
    product_create,
    product_image_add,
    product_image_remove,
    product_update,
    sku_create,
    sku_update,
)

__all__ = [
    "CATEGORY_CHANGE_TRANSITIONS",
    "CONTENT_EDITABLE",
    "CONTENT_REOPENS",
    "MAX_SORT_ORDER",
    "MAX_WEIGHT_GRAMS",
    "PRODUCT_FIELDS",
    "PRODUCT_IMPORT_TRANSITIONS",
    "PRODUCT_TRANSITIONS",
    "PROMOTION_TRANSITIONS",
    "SKU_CONTENT_FIELDS",
    "_require",  # catalog.excel checks the import/export permissions with it
    "category_change_approve",
    "category_change_reject",
    "category_change_request",
    "category_seed",
    "product_approve",
    "product_create",
    "product_image_add",
    "product_image_remove",
    "product_off_shelf",
    "product_on_shelf",
    "product_reject",
    "product_schedule_listing",
    "product_submit",
    "product_update",
    "products_bulk_shelf",
    "products_publish_scheduled",
    "promotion_price_cancel",
    "promotion_price_create",
    "sku_create",
    "sku_update",
]
