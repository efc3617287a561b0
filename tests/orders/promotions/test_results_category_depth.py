# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""A category campaign's results read its categories as pricing does
(``orders.promotions.campaigns.category_subtree``, every depth under the chosen ones).

The tree is three levels deep (``catalog_category_level_1_3``), so the figures and the
price step must agree on every level: a root, a middle and a leaf chosen.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Product
from mall.core.actors import system_actor
from orders.models import StoreEventCount
from orders.pricing import price_order
from orders.promotions.results import campaign_figures
from rbac import services as rbac_services
from rbac.models import Province, ScopeKind
from tests.orders.checkout_support import buyer, freight, on_shelf_sku  # noqa: F401
from tests.orders.promotions.campaign_support import (  # noqa: F401 - fixtures
    approver,
    make_campaign,
    marketer,
    tier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    user = get_user_model().objects.create_user(
        username="results_depth", password="mall-demo-2026", is_staff=True
    )
    role = rbac_services.role_create(
        actor=system_actor(),
        code="results_depth_role",
        name="结果查看",
        scope_kind=ScopeKind.ALL,
        permissions=["orders.view_promotion_results"],
    )
    rbac_services.role_assign(actor=system_actor(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def _chain(actor, depth: int):
    """A root with ``depth`` levels of sub-categories under it: [root, l1, …]."""
    chain = [catalog_services.category_seed(actor=actor, code="d-0", name="深层根")]
    for level in range(1, depth + 1):
        chain.append(
            catalog_services.category_seed(
                actor=actor, code=f"d-{level}", name=f"第{level}层", parent=chain[-1]
            )
        )
    return chain


def _in(sku, category):
    Product.objects.filter(pk=sku.product_id).update(category=category)
    sku.product.refresh_from_db()
    return sku


def _views(sku, views):
    StoreEventCount.objects.create(
        type=StoreEventCount.Type.PRODUCT_VIEW,
        object_id=sku.product_id,
        day=timezone.localdate(),
        views=views,
    )


@pytest.mark.parametrize(
    "chosen, expected_views", [(0, 111), (1, 111), (2, 100)], ids=["root", "middle", "leaf"]
)
def test_the_figures_count_the_views_of_the_products_pricing_covers(
    actor, reader, on_shelf_sku, make_campaign, buyer, freight, chosen, expected_views
):
    chain = _chain(actor, 2)  # root → middle → leaf
    leaves = [
        catalog_services.category_seed(actor=actor, code="d-2b", name="叶二", parent=chain[1]),
        chain[2],
    ]
    other_leaf = _in(on_shelf_sku(10, price="120.00"), leaves[0])
    leaf = _in(on_shelf_sku(10, price="120.00"), leaves[1])
    outside = on_shelf_sku(10, price="120.00")  # the fixtures' own tree
    for sku, views in ((other_leaf, 11), (leaf, 100), (outside, 1000)):
        _views(sku, views)
    campaign = make_campaign(
        scope="categories", categories=[chain[chosen]], tiers=[tier("100", off="10")]
    )

    assert campaign_figures(actor=reader, campaign=campaign).views == expected_views
    # the products counted are the ones the price step discounts
    shanghai = Province.objects.resolve("上海")
    member = buyer()
    for sku, counted in ((other_leaf, chosen < 2), (leaf, True), (outside, False)):
        quote = price_order(member=member, lines=[(sku, 1)], province=shanghai)
        assert (quote.promotion_discount_amount > 0) is counted
