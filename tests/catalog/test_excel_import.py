"""Excel import (all rows or none, with an error report) and export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from catalog import services
from catalog.excel import COLUMNS, product_export, product_import
from catalog.exceptions import CatalogPermissionDenied, ImportFileInvalid
from catalog.models import Product, ProductImport, Sku, SkuPriceChange
from catalog.selectors import product_visible_to
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db


def workbook(rows, header=COLUMNS) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(name) for name in header])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("products.xlsx", buffer.getvalue())


def row(**values):
    base = {
        "product_code": "IMP-001",
        "title": "不粘电饭煲 3L",
        "category_code": "rice-cooker",
        "brand": "美的",
        "description": "3L 小容量。",
        "sku_code": "IMP-001-W",
        "spec": "颜色:白",
        "price": "199.00",
        "cost_price": "120.00",
        "weight_grams": 2500,
        "is_available": "是",
    }
    base.update(values)
    return base


def test_valid_file_creates_products_and_skus_through_the_services(author, tree):
    file = workbook(
        [
            row(),
            row(sku_code="IMP-001-B", spec="颜色:黑", price="209.00", title=None),
            row(
                product_code="IMP-002",
                title="电水壶 1.7L",
                category_code="kettle",
                sku_code="IMP-002-S",
            ),
        ]
    )
    record = product_import(actor=author, file=file)

    assert record.status == ProductImport.Status.APPLIED
    assert record.summary == {
        "products_created": 2,
        "products_updated": 0,
        "skus_created": 3,
        "skus_updated": 0,
    }
    product = Product.objects.get(code="IMP-001")
    assert product.status == Product.Status.DRAFT
    assert product.owner == author and product.created_by == author
    assert sorted(product.skus.values_list("code", "spec")) == [
        ("IMP-001-B", {"颜色": "黑"}),
        ("IMP-001-W", {"颜色": "白"}),
    ]
    assert SkuPriceChange.objects.filter(sku__product=product).count() == 2
    assert AuditEntry.objects.filter(action="product.import").exists()


def test_one_bad_row_rejects_the_whole_file_with_a_per_row_report(author, tree):
    file = workbook(
        [
            row(),
            row(product_code="IMP-002", sku_code="IMP-002-S", category_code="no-such", price="abc"),
            row(product_code="IMP-003", sku_code="IMP-001-W"),  # duplicate SKU code in file
        ]
    )
    record = product_import(actor=author, file=file)

    assert record.status == ProductImport.Status.FAILED
    assert Product.objects.count() == 0 and Sku.objects.count() == 0
    assert [item["row"] for item in record.errors] == [3, 4]
    assert len(record.errors[0]["errors"]) == 2  # bad category and bad price
    report = load_workbook(record.report.open("rb"))
    sheet = report.active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][0] == "row" and lines[0][-1] == "errors"
    assert [line[0] for line in lines[1:]] == [2, 3, 4]
    assert lines[1][-1] in (None, "")
    assert "category_code" in lines[2][-1] and "price" in lines[2][-1]
    assert AuditEntry.objects.filter(action="product.import_failed").exists()


def test_import_updates_prices_of_listed_products_but_not_their_content(author, on_shelf_product):
    product = on_shelf_product()
    sku = product.skus.get()
    ok = product_import(
        actor=author,
        file=workbook(
            [{"product_code": product.code, "sku_code": sku.code, "price": "259.00"}],
            header=["product_code", "sku_code", "price"],
        ),
    )
    assert ok.status == ProductImport.Status.APPLIED
    sku.refresh_from_db()
    assert str(sku.price_amount) == "259.00"

    refused = product_import(
        actor=author,
        file=workbook([row(product_code=product.code, sku_code=sku.code, title="新标题 电饭煲")]),
    )
    assert refused.status == ProductImport.Status.FAILED
    product.refresh_from_db()
    assert product.status == Product.Status.ON_SHELF and product.title != "新标题 电饭煲"


def test_product_outside_the_importers_scope_is_not_touched(
    staff_with_role, make_product, reviewer, tree
):
    from catalog import permissions as perms

    theirs = make_product(reviewer, code="THEIRS-1")
    importer = staff_with_role("importer", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")
    record = product_import(
        actor=importer,
        file=workbook([row(product_code="THEIRS-1", sku_code=theirs.skus.get().code)]),
    )
    assert record.status == ProductImport.Status.FAILED
    assert record.errors[0]["row"] == 2 and record.errors[0]["errors"][0].startswith("product_code")
    theirs.refresh_from_db()
    assert theirs.title == "智能电饭煲 4L"


def test_a_file_that_is_not_a_workbook_is_refused(author):
    with pytest.raises(ImportFileInvalid):
        product_import(actor=author, file=SimpleUploadedFile("x.xlsx", b"not excel"))
    with pytest.raises(ImportFileInvalid):
        product_import(actor=author, file=workbook([row()], header=["title"]))


def test_import_needs_the_import_permission(make_staff, tree):
    viewer = make_staff("viewer", perms=("catalog.view_product",))
    with pytest.raises(CatalogPermissionDenied):
        product_import(actor=viewer, file=workbook([row()]))


def test_export_writes_one_row_per_sku_and_can_be_imported_again(author, make_product, tree):
    product = make_product(author)
    services.sku_create(
        actor=author, product=product, code="EXTRA-1", price_amount="10", weight_grams=5
    )
    content = product_export(actor=author, products=Product.objects.filter(pk=product.pk))
    sheet = load_workbook(io.BytesIO(content)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == COLUMNS
    assert len(lines) == 3

    again = product_import(actor=author, file=SimpleUploadedFile("again.xlsx", content))
    assert again.status == ProductImport.Status.APPLIED
    assert again.summary["skus_updated"] == 0 and again.summary["products_updated"] == 0
    assert AuditEntry.objects.filter(action="product.export").exists()


def test_export_is_scoped_by_the_caller_selector(staff_with_role, make_product, author, reviewer):
    from catalog import permissions as perms

    make_product(author)
    make_product(reviewer)
    mine_only = staff_with_role("ops1", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")
    make_product(mine_only, code="MINE-1")
    content = product_export(actor=mine_only, products=product_visible_to(actor=mine_only))
    codes = {
        line[0]
        for line in list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))[1:]
    }
    assert codes == {"MINE-1"}


@pytest.mark.parametrize("weight", ["3000000000", "99999999999999999999", "1e30"])
def test_a_weight_beyond_the_columns_range_is_a_row_error_and_nothing_is_written(
    author, tree, weight
):
    record = product_import(
        actor=author,
        file=workbook(
            [row(), row(product_code="IMP-002", sku_code="IMP-002-S", weight_grams=weight)]
        ),
    )
    assert record.status == ProductImport.Status.FAILED
    assert [item["row"] for item in record.errors] == [3]
    assert "weight_grams" in record.errors[0]["errors"][0]
    assert not Product.objects.filter(code__startswith="IMP-").exists()


def test_sku_services_refuse_whole_numbers_out_of_range(author, make_product):
    from catalog.exceptions import InvalidProductData

    product = make_product(author)
    sku = product.skus.get()
    with pytest.raises(InvalidProductData) as caught:
        services.sku_update(actor=author, sku=sku, weight_grams=10**12)
    assert list(caught.value.fields) == ["weight_grams"]
    with pytest.raises(InvalidProductData) as caught:
        services.sku_create(
            actor=author, product=product, code="BIG-1", price_amount="1", sort_order=10**12
        )
    assert list(caught.value.fields) == ["sort_order"]
    assert not Sku.objects.filter(code="BIG-1").exists()


def test_blank_spec_cell_leaves_the_specification_and_a_listed_product_alone(
    author, on_shelf_product
):
    product = on_shelf_product(
        skus=[
            {
                "code": "SPEC-1",
                "price_amount": "299.00",
                "weight_grams": 3000,
                "spec": {"颜色": "白"},
            }
        ]
    )
    record = product_import(
        actor=author,
        file=workbook(
            [{"product_code": product.code, "sku_code": "SPEC-1", "price": "279.00", "spec": None}],
            header=["product_code", "sku_code", "price", "spec"],
        ),
    )
    assert record.status == ProductImport.Status.APPLIED, record.errors
    sku = Sku.objects.get(code="SPEC-1")
    assert sku.spec == {"颜色": "白"} and str(sku.price_amount) == "279.00"
    product.refresh_from_db()
    assert product.status == Product.Status.ON_SHELF


def test_a_sku_code_of_a_product_outside_scope_does_not_reveal_that_product(
    staff_with_role, make_product, reviewer, tree
):
    from catalog import permissions as perms

    theirs = make_product(reviewer, code="SECRET-PRODUCT-9")
    importer = staff_with_role("importer2", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")
    record = product_import(
        actor=importer, file=workbook([row(product_code="MINE-1", sku_code=theirs.skus.get().code)])
    )
    assert record.status == ProductImport.Status.FAILED
    messages = " ".join(record.errors[0]["errors"])
    assert "sku_code" in messages
    assert "SECRET-PRODUCT-9" not in messages
    report = load_workbook(record.report.open("rb")).active
    assert "SECRET-PRODUCT-9" not in str(list(report.iter_rows(values_only=True)))
