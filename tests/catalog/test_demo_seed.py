"""The catalog demo: three levels, ≥ 30 listed products, some in review, the flash SKU."""

import io

import pytest

from catalog import demo
from catalog.models import Category, Product, PromotionPrice, Sku

pytestmark = pytest.mark.django_db


def test_demo_catalog_is_complete_and_idempotent(django_user_model):
    from rbac import demo as rbac_demo

    django_user_model.objects.create_superuser("admin", "a@example.com", "mall-demo-2026")
    rbac_demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())

    assert set(Category.objects.values_list("level", flat=True)) == {1, 2, 3}
    on_shelf = Product.objects.filter(status=Product.Status.ON_SHELF)
    assert on_shelf.count() >= 30
    assert {p.category.level for p in on_shelf} == {3}
    assert set(on_shelf.values_list("category__parent__parent__level", flat=True)) == {1}
    assert Product.objects.filter(status=Product.Status.PENDING_REVIEW).count() >= 2
    assert Product.objects.filter(status=Product.Status.REJECTED).exists()
    flash = Sku.objects.get(code="DEMO-FLASH-001")
    assert flash.product.status == Product.Status.ON_SHELF
    assert flash.product.owner.username in {"product_ops", "product_ops2"}
    assert PromotionPrice.objects.exists()

    lead = django_user_model.objects.get(username="ops_lead")
    cs = django_user_model.objects.get(username="cs_agent")
    ops = django_user_model.objects.get(username="product_ops")
    assert lead.has_perm("catalog.publish_product") and lead.has_perm("catalog.review_product")
    assert ops.has_perm("catalog.submit_product") and not ops.has_perm("catalog.publish_product")
    assert cs.has_perm("catalog.view_product") and not cs.has_perm("catalog.publish_product")

    before = (Product.objects.count(), Sku.objects.count(), Category.objects.count())
    demo.seed(stdout=io.StringIO())
    assert (Product.objects.count(), Sku.objects.count(), Category.objects.count()) == before
