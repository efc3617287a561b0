"""Checks before listing review: required fields, pictures, prices, banned words."""

import pytest
from django.core.cache import cache

from catalog import services
from catalog.exceptions import ComplianceCheckFailed, InvalidProductData
from catalog.models import Product
from ops.models import SystemParameter

pytestmark = pytest.mark.django_db


def _submit_problems(actor, product) -> dict:
    with pytest.raises(ComplianceCheckFailed) as caught:
        services.product_submit(actor=actor, product=product)
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    return caught.value.fields


@pytest.mark.parametrize(
    "title", ["最好用的电饭煲", "全国第一电饭煲", "国家级品质电饭煲", "顶级 电饭煲"]
)
def test_banned_absolute_words_in_the_title_block_submission(make_product, author, title):
    product = make_product(author, title=title)
    problems = _submit_problems(author, product)
    assert list(problems) == ["title"]


def test_banned_word_in_subtitle_is_reported_on_the_subtitle(make_product, author):
    product = make_product(author, subtitle="唯一正品")
    assert list(_submit_problems(author, product)) == ["subtitle"]


def test_banned_word_list_is_a_system_parameter(make_product, author):
    SystemParameter.objects.create(key="catalog.banned_title_words", value=["爆款"])
    cache.clear()
    services.product_submit(actor=author, product=make_product(author, title="最新款电饭煲"))
    with pytest.raises(ComplianceCheckFailed):
        services.product_submit(actor=author, product=make_product(author, title="爆款电饭煲"))


def test_product_without_picture_cannot_be_submitted(make_product, author):
    product = make_product(author, with_image=False)
    assert list(_submit_problems(author, product)) == ["images"]


def test_zero_price_and_missing_weight_are_reported_per_sku(make_product, author):
    product = make_product(
        author,
        skus=[
            {"code": "ZERO-1", "price_amount": "0", "weight_grams": 100},
            {"code": "NOWEIGHT-1", "price_amount": "10.00", "weight_grams": 0},
        ],
    )
    problems = _submit_problems(author, product)
    assert set(problems) == {"skus.ZERO-1.price_amount", "skus.NOWEIGHT-1.weight_grams"}


def test_virtual_goods_need_no_weight(make_product, author):
    product = make_product(
        author, is_virtual=True, skus=[{"code": "CARD-50", "price_amount": "50.00"}]
    )
    product = services.product_submit(actor=author, product=product)
    assert product.status == Product.Status.PENDING_REVIEW


def test_missing_description_and_sku_are_reported_together(make_product, author):
    product = make_product(author, description="", skus=[])
    assert set(_submit_problems(author, product)) == {"description", "skus"}


def test_presale_needs_deposit_window_and_ship_date(make_product, author):
    product = make_product(author, is_presale=True)
    problems = _submit_problems(author, product)
    assert set(problems) == {
        "presale_deposit_amount",
        "presale_final_payment_ends_at",
        "presale_ship_date",
    }


def test_product_must_hang_on_a_third_level_category(author, tree):
    with pytest.raises(InvalidProductData) as caught:
        services.product_create(actor=author, code="P-MID", title="电饭煲", category=tree["middle"])
    assert list(caught.value.fields) == ["category"]


def test_non_image_upload_is_refused(make_product, author):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = make_product(author, with_image=False)
    fake = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")
    with pytest.raises(InvalidProductData) as caught:
        services.product_image_add(actor=author, product=product, image=fake)
    assert list(caught.value.fields) == ["image"]
    assert product.images.count() == 0
