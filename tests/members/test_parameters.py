"""System parameters of the members app: bounds the services can live with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("members.points_expiry_days", 10**9),
        ("members.growth_daily_login", 10**12),
        ("members.sign_in_points", 10**12),
        ("members.level_threshold_vip7", 10**12),
        ("members.points_per_yuan", 10**12),
    ],
)
def test_member_parameters_refuse_values_the_services_cannot_use(key, value):
    from ops.parameters import parameter_spec

    with pytest.raises(ValueError):
        parameter_spec(key).coerce(value)


def test_points_expiry_at_its_maximum_still_earns(make_member, settings):
    from ops.parameters import parameter_spec

    spec = parameter_spec("members.points_expiry_days")
    assert spec.maximum is not None
    assert timezone.now() + timedelta(days=spec.maximum)
