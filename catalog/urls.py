"""Catalog URLs: staff under ``api/v1/catalog/``, storefront under ``api/v1/store/``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("products", apis.ProductViewSet, basename="catalog-product")
router.register("skus", apis.SkuViewSet, basename="catalog-sku")
router.register("promotions", apis.PromotionViewSet, basename="catalog-promotion")
router.register("categories", apis.CategoryViewSet, basename="catalog-category")
router.register("category-changes", apis.CategoryChangeViewSet, basename="catalog-category-change")
router.register("imports", apis.ProductImportViewSet, basename="catalog-import")

urlpatterns = [
    path("api/v1/catalog/", include(router.urls)),
    path(
        "api/v1/store/categories/",
        apis.StoreCategoryTreeView.as_view(),
        name="store-categories",
    ),
    path("api/v1/store/products/", apis.StoreProductListView.as_view(), name="store-products"),
    path(
        "api/v1/store/products/<int:pk>/",
        apis.StoreProductDetailView.as_view(),
        name="store-product",
    ),
]
