"""Permission codenames of the catalog app, declared once.

DRF views, admin actions and services all read these names.
"""

VIEW_PRODUCT = "catalog.view_product"
ADD_PRODUCT = "catalog.add_product"
CHANGE_PRODUCT = "catalog.change_product"
SUBMIT_PRODUCT = "catalog.submit_product"
REVIEW_PRODUCT = "catalog.review_product"
PUBLISH_PRODUCT = "catalog.publish_product"
IMPORT_PRODUCT = "catalog.import_product"
EXPORT_PRODUCT = "catalog.export_product"

VIEW_SKU = "catalog.view_sku"
ADD_SKU = "catalog.add_sku"
CHANGE_SKU = "catalog.change_sku"

VIEW_PROMOTION = "catalog.view_promotionprice"
ADD_PROMOTION = "catalog.add_promotionprice"
CHANGE_PROMOTION = "catalog.change_promotionprice"

VIEW_CATEGORY = "catalog.view_category"
REQUEST_CATEGORY_CHANGE = "catalog.request_category_change"
APPROVE_CATEGORY_CHANGE = "catalog.approve_category_change"

# What the demo roles get (rbac.demo.grant_role_permissions).
PRODUCT_OPS_PERMISSIONS = [
    VIEW_PRODUCT,
    ADD_PRODUCT,
    CHANGE_PRODUCT,
    SUBMIT_PRODUCT,
    IMPORT_PRODUCT,
    EXPORT_PRODUCT,
    # pictures are added and removed on the product's page (a product needs one to
    # be submitted); the inline asks for these model permissions
    "catalog.view_productimage",
    "catalog.add_productimage",
    "catalog.change_productimage",
    "catalog.delete_productimage",
    VIEW_SKU,
    ADD_SKU,
    CHANGE_SKU,
    VIEW_PROMOTION,
    ADD_PROMOTION,
    CHANGE_PROMOTION,
    VIEW_CATEGORY,
    REQUEST_CATEGORY_CHANGE,
    "catalog.view_categorychangerequest",
    "catalog.view_productimport",
    "catalog.view_skupricechange",
]
OPS_LEAD_PERMISSIONS = [
    *PRODUCT_OPS_PERMISSIONS,
    REVIEW_PRODUCT,
    PUBLISH_PRODUCT,
    APPROVE_CATEGORY_CHANGE,
]
CUSTOMER_SERVICE_PERMISSIONS = [VIEW_PRODUCT, VIEW_SKU, VIEW_CATEGORY]


def perm_codename(perm: str) -> str:
    return perm.split(".", 1)[1]
