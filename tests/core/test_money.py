from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mall.core.money import money_str, split_amount, to_money


def test_rounding_is_half_up_at_the_cent():
    assert to_money("2.345") == Decimal("2.35")
    assert to_money("2.344") == Decimal("2.34")
    assert to_money("-2.345") == Decimal("-2.35")
    assert money_str(299) == "299.00"


@pytest.mark.parametrize("bad", [1.1, "abc", "NaN", "Infinity", None])
def test_floats_and_non_numbers_are_refused(bad):
    with pytest.raises(ValueError):
        to_money(bad)


def test_a_discount_split_over_lines_adds_up_exactly():
    parts = split_amount(Decimal("10.00"), [1, 1, 1])
    assert parts == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]


@given(
    total=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(
        any
    ),
)
def test_split_parts_always_sum_to_the_total_and_follow_the_weights(total, weights):
    parts = split_amount(total, weights)
    assert sum(parts) == to_money(total)
    assert all(part >= 0 for part in parts)
    assert all(part == 0 for part, weight in zip(parts, weights, strict=True) if weight == 0)


def test_split_refuses_empty_or_zero_weights():
    with pytest.raises(ValueError):
        split_amount(Decimal(1), [])
    with pytest.raises(ValueError):
        split_amount(Decimal(1), [0, 0])
