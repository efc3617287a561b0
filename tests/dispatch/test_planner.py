"""The pure warehouse planner: properties checked against brute force."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.planner import Candidate, plan_allocation

SKUS = [1, 2, 3]

candidates_strategy = st.lists(
    st.builds(
        lambda wid, tier, days, stock: Candidate(wid, tier, days, stock),
        st.just(0),
        st.integers(1, 3),
        st.integers(1, 5),
        st.dictionaries(st.sampled_from(SKUS), st.integers(0, 6)),
    ),
    min_size=0,
    max_size=6,
).map(lambda cs: [Candidate(i + 1, c.tier, c.promised_days, c.available) for i, c in enumerate(cs)])
demand_strategy = st.dictionaries(st.sampled_from(SKUS), st.integers(1, 8), min_size=1)


def _fits(subset, demand) -> bool:
    return all(sum(c.available.get(s, 0) for c in subset) >= q for s, q in demand.items())


@settings(max_examples=300, deadline=None)
@given(candidates_strategy, demand_strategy)
def test_a_plan_fills_the_demand_exactly_from_stock_that_exists(candidates, demand):
    plan = plan_allocation(candidates, demand)
    if plan is None:
        assert not _fits(candidates, demand)
        return
    by_id = {c.warehouse_id: c for c in candidates}
    totals: dict[int, int] = {}
    for shipment in plan.shipments:
        assert shipment.lines, "no empty shipments"
        for sku, quantity in shipment.lines.items():
            assert 0 < quantity <= by_id[shipment.warehouse_id].available.get(sku, 0)
            totals[sku] = totals.get(sku, 0) + quantity
    assert totals == demand


@settings(max_examples=300, deadline=None)
@given(candidates_strategy, demand_strategy)
def test_the_plan_uses_the_lowest_tier_limit_and_then_the_fewest_shipments(candidates, demand):
    plan = plan_allocation(candidates, demand)
    if plan is None:
        return
    for limit in (1, 2, 3):
        pool = [c for c in candidates if c.tier <= limit]
        if _fits(pool, demand):
            break
    assert max(s.tier for s in plan.shipments) <= limit
    fewest = next(
        size
        for size in range(1, len(pool) + 1)
        if any(_fits(subset, demand) for subset in combinations(pool, size))
    )
    assert len(plan.shipments) == fewest


def test_between_equal_sets_the_faster_one_wins():
    slow = Candidate(1, 1, 5, {1: 3})
    fast = Candidate(2, 1, 2, {1: 3})
    plan = plan_allocation([slow, fast], {1: 2})
    assert [s.warehouse_id for s in plan.shipments] == [2]
    assert plan.promised_days == 2
