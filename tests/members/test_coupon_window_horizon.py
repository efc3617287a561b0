"""A coupon template's fixed validity window is planned at most a year ahead and ends
at most ten years ahead (as a "valid for N days" coupon does): a year-9999 window is a
typo, refused naming the field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.times import SCHEDULE_HORIZON
from members.exceptions import InvalidCouponTemplate
from members.models import CouponTemplate
from members.services import coupon_template_create

pytestmark = pytest.mark.django_db


def _window(superuser, valid_from, valid_until):
    return coupon_template_create(
        actor=superuser,
        name="满100减20",
        kind=CouponTemplate.Kind.AMOUNT_OFF,
        discount_amount=Decimal("20.00"),
        threshold_amount=Decimal("100.00"),
        validity=CouponTemplate.Validity.WINDOW,
        valid_from=valid_from,
        valid_until=valid_until,
        total_stock=10,
    )


def test_a_window_starting_beyond_the_horizon_is_refused_naming_valid_from(superuser):
    start = timezone.now() + SCHEDULE_HORIZON + timedelta(days=1)
    with pytest.raises(InvalidCouponTemplate) as refused:
        _window(superuser, start, start + timedelta(days=7))
    assert "valid_from" in refused.value.fields
    assert not CouponTemplate.objects.exists()


def test_a_window_ending_more_than_ten_years_ahead_is_refused_naming_valid_until(superuser):
    now = timezone.now()
    with pytest.raises(InvalidCouponTemplate) as refused:
        _window(superuser, now, now.replace(year=9999))
    assert "valid_until" in refused.value.fields

    template = _window(superuser, now, now + timedelta(days=3640))
    assert template.pk
