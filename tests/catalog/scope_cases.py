"""Catalog models in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

A product belongs to its owner (the responsible ops specialist) and, through the
owner's staff profile, to a department; SKUs, price history and promotion prices
follow their product; an import belongs to the staff member who ran it. Each row
is made through the services by the system actor with the matrix's owner as owner.

The API detail entry point is left out: the matrix expects the generic
``not_found`` code, the catalog answers ``product_not_found`` / ``sku_not_found``
(404 all the same; tests/catalog/test_staff_api.py checks it). The product export
is Excel, not the matrix's CSV: tests/catalog/test_excel_import.py checks its scope.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from tests.rbac.matrix_cases import ScopeCase

_numbers = itertools.count(1)

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def _system():
    from mall.core.actors import system_actor

    return system_actor()


def _leaf():
    from catalog import services
    from catalog.models import Category

    leaf = Category.objects.filter(code="cat-matrix-leaf").first()
    if leaf is None:
        system = _system()
        root = services.category_seed(actor=system, code="cat-matrix-root", name="矩阵一级")
        middle = services.category_seed(
            actor=system, code="cat-matrix-mid", name="矩阵二级", parent=root
        )
        leaf = services.category_seed(
            actor=system, code="cat-matrix-leaf", name="矩阵三级", parent=middle
        )
    return leaf


def _product(owner):
    """A draft product of ``owner`` that passes the listing checks (one SKU, a picture)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog import services

    number = next(_numbers)
    product = services.product_create(
        actor=_system(),
        code=f"CM{number:05d}",
        title=f"矩阵商品 {number}",
        category=_leaf(),
        owner=owner,
        description="矩阵测试商品。",
        skus=[{"code": f"CM-SKU-{number:05d}", "price_amount": "100.00", "weight_grams": 500}],
    )
    services.product_image_add(
        actor=_system(),
        product=product,
        image=SimpleUploadedFile(f"m{number}.png", PNG_BYTES, content_type="image/png"),
    )
    product.refresh_from_db()
    return product


def _make_product(*, region, department, owner, grant_target):
    return _product(owner)


def _make_sku(*, region, department, owner, grant_target):
    return _product(owner).skus.get()


def _make_price_change(*, region, department, owner, grant_target):
    from catalog.models import SkuPriceChange

    return SkuPriceChange.objects.get(sku__product=_product(owner))


def _make_promotion(*, region, department, owner, grant_target):
    from django.utils import timezone

    from catalog import services

    start = timezone.now() + timedelta(hours=1)
    return services.promotion_price_create(
        actor=_system(),
        sku=_product(owner).skus.get(),
        price_amount="90.00",
        starts_at=start,
        ends_at=start + timedelta(days=1),
    )


def _make_import(*, region, department, owner, grant_target):
    from catalog.models import ProductImport

    return ProductImport.objects.create(
        file_name=f"matrix-{next(_numbers)}.xlsx",
        status=ProductImport.Status.FAILED,
        row_count=1,
        error_count=1,
        created_by=owner,
    )


def _submitted(row) -> bool:
    row.refresh_from_db()
    return row.status == "pending_review"


def _cancelled(row) -> bool:
    row.refresh_from_db()
    return row.status == "cancelled"


CASES: list[ScopeCase] = [
    ScopeCase(
        id="catalog.product",
        model="catalog.Product",
        make_row=_make_product,
        permissions=("catalog.view_product", "catalog.submit_product"),
        admin_changelist="admin:catalog_product_changelist",
        admin_change="admin:catalog_product_change",
        admin_action="submit_selected",
        was_touched=_submitted,
        api_list="catalog-product-list",
        api_action="catalog-product-submit",
    ),
    ScopeCase(
        id="catalog.sku",
        model="catalog.Sku",
        make_row=_make_sku,
        permissions=(
            "catalog.view_sku",
            "catalog.view_promotionprice",
            "catalog.add_promotionprice",
        ),
        admin_changelist="admin:catalog_sku_changelist",
        admin_change="admin:catalog_sku_change",
        fk_admin_add="admin:catalog_promotionprice_add",
        fk_field="sku",
        api_list="catalog-sku-list",
    ),
    ScopeCase(
        id="catalog.price_change",
        model="catalog.SkuPriceChange",
        make_row=_make_price_change,
        permissions=("catalog.view_skupricechange",),
        admin_changelist="admin:catalog_skupricechange_changelist",
        admin_change="admin:catalog_skupricechange_change",
    ),
    ScopeCase(
        id="catalog.promotion_price",
        model="catalog.PromotionPrice",
        make_row=_make_promotion,
        permissions=("catalog.view_promotionprice", "catalog.change_promotionprice"),
        admin_changelist="admin:catalog_promotionprice_changelist",
        admin_change="admin:catalog_promotionprice_change",
        admin_action="cancel_selected",
        was_touched=_cancelled,
        api_list="catalog-promotion-list",
        api_action="catalog-promotion-cancel",
    ),
    ScopeCase(
        id="catalog.product_import",
        model="catalog.ProductImport",
        make_row=_make_import,
        permissions=("catalog.view_productimport", "catalog.import_product"),
        admin_changelist="admin:catalog_productimport_changelist",
        admin_change="admin:catalog_productimport_change",
        api_list="catalog-import-list",
    ),
]
