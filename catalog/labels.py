"""Chinese labels of the codes catalog writes (collected by ``mall.core.labels``).

Audit actions, staff notification kinds and scheduled tasks: every code a screen
shows has a label here, so the audit log, the inbox and the schedule read in Chinese.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "product.import": _("Products imported"),
    "product.import_failed": _("Product import failed"),
    "product.export": _("Products exported"),
    "category_change.approve": _("Category change approved"),
    "category_change.reject": _("Category change rejected"),
    "category_change.request": _("Category change requested"),
    "category.seed": _("Category created (initial data)"),
    "product.approve": _("Product approved"),
    "product.off_shelf": _("Product taken off shelf"),
    "product.on_shelf": _("Product put on shelf"),
    "product.reject": _("Product rejected"),
    "product.schedule_listing": _("Product listing scheduled"),
    "product.submit": _("Product submitted for review"),
    "promotion_price.cancel": _("Promotion price cancelled"),
    "promotion_price.create": _("Promotion price created"),
    "product.image_add": _("Product picture added"),
    "product.image_remove": _("Product picture removed"),
    "product.reopen": _("Product reopened for editing"),
    "product.update": _("Product changed"),
    "product.create": _("Product created"),
    "sku.create": _("SKU created"),
    "sku.update": _("SKU changed"),
}

NOTIFICATION_KINDS = {
    "catalog.review_waiting": _("Product waiting for review"),
    "catalog.review_approved": _("Product approved"),
    "catalog.review_rejected": _("Product rejected"),
    "catalog.category_change_waiting": _("Category change waiting for approval"),
    "catalog.category_change_decided": _("Category change decided"),
}

# Scheduled tasks by their schedule entry name, and job runs by their job_run name.
TASK_LABELS = {
    "catalog: publish scheduled listings": _("Publish scheduled listings"),
    # job runs (mall.core.jobs.job_run names)
    "catalog.products_publish_scheduled": _("Publish scheduled listings"),
}
