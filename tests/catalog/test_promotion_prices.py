"""Price history and the 30-day lowest-price rule for promotion prices."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog import services
from catalog.exceptions import (
    CatalogPermissionDenied,
    InvalidProductData,
    PromotionOverlap,
    PromotionPriceRefused,
)
from catalog.models import PromotionPrice, SkuPriceChange
from catalog.selectors import sku_current_prices
from ops.models import SystemParameter

pytestmark = pytest.mark.django_db


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) + timedelta(hours=1)


@pytest.fixture
def sku(make_product, author, start):
    """A SKU priced 100.00 since 40 days before the promotion start."""
    product = make_product(author, price="100.00")
    sku = product.skus.get()
    SkuPriceChange.objects.filter(sku=sku).update(changed_at=start - timedelta(days=40))
    return sku


def _price_at(author, sku, price, at):
    sku = services.sku_update(actor=author, sku=sku, price_amount=price)
    latest = SkuPriceChange.objects.filter(sku=sku).order_by("-id").first()
    SkuPriceChange.objects.filter(pk=latest.pk).update(changed_at=at)
    return sku


def _promote(author, sku, price, start):
    return services.promotion_price_create(
        actor=author,
        sku=sku,
        price_amount=price,
        starts_at=start,
        ends_at=start + timedelta(days=3),
    )


def test_every_price_change_is_recorded_with_who_old_and_new(make_product, author):
    product = make_product(author, price="100.00")
    sku = services.sku_update(actor=author, sku=product.skus.get(), price_amount="89.90")
    rows = list(
        SkuPriceChange.objects.filter(sku=sku)
        .order_by("id")
        .values_list("old_price_amount", "new_price_amount", "changed_by__username")
    )
    assert rows == [
        (None, Decimal("100.00"), "author"),
        (Decimal("100.00"), Decimal("89.90"), "author"),
    ]


def test_promotion_must_be_strictly_below_the_lowest_price(author, sku, start):
    with pytest.raises(PromotionPriceRefused) as caught:
        _promote(author, sku, "100.00", start)
    assert caught.value.extra["lowest_price"] == "100.00"
    assert "price_amount" in caught.value.fields
    promotion = _promote(author, sku, "99.99", start)
    assert promotion.reference_price_amount == Decimal("100.00")


def test_price_dropped_inside_the_window_sets_the_bar(author, sku, start):
    sku = _price_at(author, sku, "80.00", start - timedelta(days=10))
    sku = _price_at(author, sku, "120.00", start - timedelta(days=5))
    with pytest.raises(PromotionPriceRefused) as caught:
        _promote(author, sku, "85.00", start)
    assert caught.value.extra["lowest_price"] == "80.00"
    assert _promote(author, sku, "79.99", start).price_amount == Decimal("79.99")


def test_price_changed_exactly_30_days_before_counts(author, sku, start):
    sku = _price_at(author, sku, "80.00", start - timedelta(days=30))
    sku = _price_at(author, sku, "120.00", start - timedelta(days=1))
    with pytest.raises(PromotionPriceRefused):
        _promote(author, sku, "90.00", start)


def test_price_replaced_just_before_the_window_does_not_count(author, sku, start):
    sku = _price_at(author, sku, "80.00", start - timedelta(days=35))
    sku = _price_at(author, sku, "120.00", start - timedelta(days=30, seconds=1))
    # 80.00 ended one second before the 30-day window: the bar is 120.00.
    promotion = _promote(author, sku, "110.00", start)
    assert promotion.reference_price_amount == Decimal("120.00")


def test_price_set_one_second_inside_the_window_counts(author, sku, start):
    sku = _price_at(author, sku, "120.00", start - timedelta(days=35))
    sku = _price_at(author, sku, "80.00", start - timedelta(days=30) + timedelta(seconds=1))
    sku = _price_at(author, sku, "120.00", start - timedelta(days=29))
    with pytest.raises(PromotionPriceRefused) as caught:
        _promote(author, sku, "110.00", start)
    assert caught.value.extra["lowest_price"] == "80.00"


def test_earlier_promotion_price_in_the_window_counts_but_one_ended_before_does_not(
    author, sku, start
):
    window_start = start - timedelta(days=30)
    PromotionPrice.objects.create(
        sku=sku,
        price_amount="60.00",
        reference_price_amount="100.00",
        starts_at=window_start - timedelta(days=3),
        ends_at=window_start,  # ended exactly when the window opens
        created_by=author,
    )
    assert _promote(author, sku, "90.00", start).reference_price_amount == Decimal("100.00")

    later = start + timedelta(days=10)
    PromotionPrice.objects.create(
        sku=sku,
        price_amount="70.00",
        reference_price_amount="100.00",
        starts_at=later - timedelta(days=6),
        ends_at=later - timedelta(days=5),
        created_by=author,
    )
    with pytest.raises(PromotionPriceRefused) as caught:
        _promote(author, sku, "75.00", later)
    assert caught.value.extra["lowest_price"] == "70.00"


def test_cancelled_promotions_do_not_lower_the_bar(author, sku, start):
    PromotionPrice.objects.create(
        sku=sku,
        price_amount="50.00",
        reference_price_amount="100.00",
        starts_at=start - timedelta(days=5),
        ends_at=start - timedelta(days=4),
        status=PromotionPrice.Status.CANCELLED,
        created_by=author,
    )
    assert _promote(author, sku, "95.00", start).reference_price_amount == Decimal("100.00")


def test_lookback_days_is_a_system_parameter(author, sku, start):
    sku = _price_at(author, sku, "80.00", start - timedelta(days=20))
    sku = _price_at(author, sku, "120.00", start - timedelta(days=15))
    with pytest.raises(PromotionPriceRefused):  # the default 30 days still see 80.00
        _promote(author, sku, "100.00", start)
    SystemParameter.objects.create(key="catalog.promotion_lookback_days", value=14)
    cache.clear()
    assert _promote(author, sku, "100.00", start).reference_price_amount == Decimal("120.00")


def test_overlapping_promotions_of_one_sku_are_refused(author, sku, start):
    _promote(author, sku, "90.00", start)
    with pytest.raises(PromotionOverlap):
        _promote(author, sku, "80.00", start + timedelta(days=1))


def test_promotion_period_must_make_sense(author, sku, start):
    with pytest.raises(InvalidProductData):
        services.promotion_price_create(
            actor=author, sku=sku, price_amount="50", starts_at=start, ends_at=start
        )
    with pytest.raises(InvalidProductData):
        services.promotion_price_create(
            actor=author,
            sku=sku,
            price_amount="50",
            starts_at=start - timedelta(days=9),
            ends_at=start - timedelta(days=8),
        )


def test_running_promotion_is_the_current_price_until_cancelled(author, sku, reviewer):
    now = timezone.now()
    promotion = services.promotion_price_create(
        actor=author,
        sku=sku,
        price_amount="88.00",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
    )
    assert sku_current_prices(actor=author, sku_ids=[sku.pk]) == {sku.pk: Decimal("88.00")}
    services.promotion_price_cancel(actor=author, promotion=promotion, reason="活动取消")
    assert sku_current_prices(actor=author, sku_ids=[sku.pk]) == {sku.pk: Decimal("100.00")}


def test_staff_without_promotion_permission_is_refused(make_staff, sku, start):
    outsider = make_staff("cs", perms=("catalog.view_sku",))
    with pytest.raises(CatalogPermissionDenied):
        _promote(outsider, sku, "50.00", start)


def test_a_start_whose_look_back_leaves_the_calendar_is_refused_not_a_crash(
    author, sku, staff_client
):
    from datetime import UTC, datetime

    very_early = datetime(1, 1, 2, tzinfo=UTC)
    with pytest.raises(InvalidProductData) as caught:
        services.promotion_price_create(
            actor=author,
            sku=sku,
            price_amount="50.00",
            starts_at=very_early,
            ends_at=timezone.now() + timedelta(days=1),
        )
    assert list(caught.value.fields) == ["starts_at"]

    response = staff_client(author).post(
        "/api/v1/catalog/promotions/",
        {
            "sku": sku.pk,
            "price_amount": "50.00",
            "starts_at": "0001-01-01T00:00:00Z",
            "ends_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "starts_at" in response.json()["error"]["fields"]
    assert not PromotionPrice.objects.filter(sku=sku).exists()


def test_a_price_change_reason_over_200_characters_is_refused_not_cut(author, sku):
    with pytest.raises(InvalidProductData) as refused:
        services.sku_update(actor=author, sku=sku, price_amount="90.00", reason="降" * 201)
    assert "reason" in refused.value.fields
    sku.refresh_from_db()
    assert sku.price_amount == Decimal("100.00")
    services.sku_update(actor=author, sku=sku, price_amount="90.00", reason="降" * 200)
    assert SkuPriceChange.objects.filter(sku=sku).latest("id").reason == "降" * 200


def test_a_cancel_reason_over_500_characters_is_refused(author, sku, start):
    promotion = _promote(author, sku, "80.00", start)
    with pytest.raises(InvalidProductData):
        services.promotion_price_cancel(actor=author, promotion=promotion, reason="x" * 501)
    assert PromotionPrice.objects.get(pk=promotion.pk).status == PromotionPrice.Status.ACTIVE
