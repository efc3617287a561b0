"""A promotion is planned at most a year ahead and lasts at most a year
(``mall.core.times.SCHEDULE_HORIZON``): a start or an end in the year 9999 is a typo,
refused naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.exceptions import InvalidProductData
from catalog.models import PromotionPrice
from mall.core.times import SCHEDULE_HORIZON

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(make_product, author):
    return make_product(author, price="100.00").skus.get()


def _promote(author, sku, starts_at, ends_at):
    return services.promotion_price_create(
        actor=author, sku=sku, price_amount="50.00", starts_at=starts_at, ends_at=ends_at
    )


def test_a_promotion_starting_beyond_the_horizon_is_refused_naming_starts_at(author, sku):
    starts_at = timezone.now() + SCHEDULE_HORIZON + timedelta(days=1)
    with pytest.raises(InvalidProductData) as refused:
        _promote(author, sku, starts_at, starts_at + timedelta(days=1))
    assert "starts_at" in refused.value.fields
    assert not PromotionPrice.objects.exists()


def test_a_promotion_lasting_longer_than_the_horizon_is_refused_naming_ends_at(author, sku):
    starts_at = timezone.now() + timedelta(hours=1)
    with pytest.raises(InvalidProductData) as refused:
        _promote(author, sku, starts_at, starts_at + SCHEDULE_HORIZON + timedelta(days=1))
    assert "ends_at" in refused.value.fields

    promotion = _promote(author, sku, starts_at, starts_at + SCHEDULE_HORIZON)
    assert promotion.pk
