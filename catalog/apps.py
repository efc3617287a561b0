from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Products")

    def ready(self) -> None:
        from mall.core.scoping import declare_scope

        from . import (
            parameters,  # noqa: F401 - registers the catalog's system parameters
            services,  # noqa: F401 - registers the catalog's status tables
            workbench_items,  # noqa: F401 - the catalog's tiles and charts on the workbench
        )
        from .models import (
            Category,
            CategoryChangeRequest,
            Product,
            ProductEvent,
            ProductImage,
            ProductImport,
            PromotionPrice,
            Sku,
            SkuPriceChange,
        )

        # The category tree is reference data: the function permission decides.
        declare_scope(Category, unscoped=True)
        declare_scope(CategoryChangeRequest, unscoped=True)
        # Products belong to their owner (the responsible ops specialist) and, through
        # the owner's staff profile, to a department.
        owner_department = "owner__staff_profile__department"
        declare_scope(Product, owner="owner", department=owner_department)
        declare_scope(Sku, owner="product__owner", department=f"product__{owner_department}")
        for model in (ProductImage, ProductEvent):
            declare_scope(model, owner="product__owner", department=f"product__{owner_department}")
        for model in (SkuPriceChange, PromotionPrice):
            declare_scope(
                model,
                owner="sku__product__owner",
                department=f"sku__product__{owner_department}",
            )
        declare_scope(ProductImport, owner="created_by")
