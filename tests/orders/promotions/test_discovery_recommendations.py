# ruff: noqa: F811 - fixtures imported from other modules are parameters here
"""Nightly recommendation SQL on a fixture, and the storefront reads over it.

Fixture (category "锅" unless said): products A, B, C, D, E, F, G; H in another
category ("碗"). Paid orders in the window: {A, B} twice, {A, C} once (by other
members), a brushed {A, D}, an unpaid {A, E}, a cancelled-after-payment {A, E}, a
paid {A, G} older than the window. Member ``me`` bought A once (paid, in the window).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.orders.checkout_support import buyer, on_shelf_sku  # noqa: F401


@pytest.fixture
def shop(actor, category, on_shelf_sku, buyer, make_order):
    from catalog import services as catalog_services
    from catalog.models import Product
    from orders.models import Order

    other_leaf = catalog_services.category_seed(
        actor=actor, code="t-leaf-2", name="碗", parent=category.parent
    )
    skus = {name: on_shelf_sku() for name in "ABCDEFGH"}
    Product.objects.filter(pk=skus["H"].product_id).update(category=other_leaf)
    old = timezone.now() - timedelta(days=200)

    def order(member, names, status="paid", **fields):
        placed = make_order(member, [(skus[name], 1) for name in names], status=status)
        if fields:
            Order.objects.filter(pk=placed.pk).update(**fields)
        return placed

    others = [buyer() for _ in range(3)]
    order(others[0], "AB")
    order(others[1], "AB")
    order(others[2], "AC")
    order(others[0], "AD", is_brushed=True)
    order(others[1], "AE", status="pending_payment")
    Order.objects.filter(pk=order(others[2], "AE").pk).update(status=Order.Status.CANCELLED)
    order(others[0], "AG", paid_at=old)
    me = buyer()
    order(me, "A")
    return {"skus": skus, "me": me, "others": others}


def _pid(shop, name: str) -> int:
    return shop["skus"][name].product_id


def _rebuild():
    from mall.core.actors import system_actor
    from orders.promotions.recommendations import recommendations_rebuild

    return recommendations_rebuild(actor=system_actor())


def test_bought_together_counts_paid_orders_in_the_window_only(shop):
    from orders.models import ProductAffinity

    _rebuild()
    a = _pid(shop, "A")
    rows = list(
        ProductAffinity.objects.filter(product_id=a)
        .order_by("-support", "related_id")
        .values_list("related_id", "support")
    )
    # B twice, C once; D (brushed), E (unpaid / cancelled), G (too old) never
    assert rows == [(_pid(shop, "B"), 2), (_pid(shop, "C"), 1)]
    assert set(
        ProductAffinity.objects.filter(product_id=_pid(shop, "B")).values_list(
            "related_id", "support"
        )
    ) == {(a, 2)}


def test_for_you_ranks_on_shelf_products_of_bought_categories_by_sales(shop):
    from catalog.models import Product
    from orders.models import MemberRecommendation

    Product.objects.filter(pk=_pid(shop, "F")).update(status=Product.Status.OFF_SHELF)
    _rebuild()
    ranked = list(
        MemberRecommendation.objects.filter(member=shop["me"])
        .order_by("-score", "product_id")
        .values_list("product_id", "score")
    )
    # B sold 2, C 1, then the unsold ones by id; never A (bought), F (off shelf),
    # H (another category)
    by_name = {_pid(shop, name): name for name in "ABCDEFGH"}
    assert [(by_name[pid], score) for pid, score in ranked] == [
        ("B", 2.0),
        ("C", 1.0),
        ("D", 0.0),
        ("E", 0.0),
        ("G", 0.0),
    ]


def test_a_rebuild_replaces_the_old_rows(shop):
    from orders.models import MemberRecommendation, ProductAffinity

    _rebuild()
    first = set(ProductAffinity.objects.values_list("product_id", "related_id", "support"))
    counts = _rebuild()
    assert set(ProductAffinity.objects.values_list("product_id", "related_id", "support")) == first
    assert counts == {
        "affinities": ProductAffinity.objects.count(),
        "member_recommendations": MemberRecommendation.objects.count(),
    }


def test_reads_never_serve_off_shelf_or_unavailable_products(shop):
    from catalog.models import Product, Sku
    from orders.promotions.recommendations import member_recommendations, product_related

    _rebuild()
    a = Product.objects.get(pk=_pid(shop, "A"))
    assert [p.pk for p in product_related(actor=None, product=a)] == [
        _pid(shop, "B"),
        _pid(shop, "C"),
    ]
    # after the nightly run: C goes off shelf, D's SKU is switched off
    Product.objects.filter(pk=_pid(shop, "C")).update(status=Product.Status.OFF_SHELF)
    Sku.objects.filter(pk=shop["skus"]["D"].pk).update(is_available=False)
    assert [p.pk for p in product_related(actor=None, product=a)] == [_pid(shop, "B")]
    served = [p.pk for p in member_recommendations(actor=None, member=shop["me"])]
    assert served == [_pid(shop, name) for name in "BEFG"]


def test_empty_tables_fall_back_to_servable_best_sellers(shop):
    from catalog.models import Product
    from orders.promotions.recommendations import member_recommendations, product_related

    # no nightly run yet: best sellers of the window (A 4 units, B 2, C 1), then others
    a = Product.objects.get(pk=_pid(shop, "A"))
    related = [p.pk for p in product_related(actor=None, product=a)]
    assert related[:2] == [_pid(shop, "B"), _pid(shop, "C")]
    assert a.pk not in related
    Product.objects.filter(pk=_pid(shop, "B")).update(status=Product.Status.OFF_SHELF)
    served = [p.pk for p in member_recommendations(actor=None, member=shop["me"])]
    assert served[:2] == [_pid(shop, "A"), _pid(shop, "C")]
    assert _pid(shop, "B") not in served


def test_related_endpoint_is_public_and_404s_unknown_or_off_shelf(shop):
    from catalog.models import Product

    _rebuild()
    client = APIClient()
    answer = client.get(f"/api/v1/store/products/{_pid(shop, 'A')}/related/")
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()] == [_pid(shop, "B"), _pid(shop, "C")]
    assert answer.json()[0]["available"] is True
    assert client.get("/api/v1/store/products/987654/related/").json()["error"]["code"] == (
        "not_found"
    )
    Product.objects.filter(pk=_pid(shop, "A")).update(status=Product.Status.OFF_SHELF)
    off = client.get(f"/api/v1/store/products/{_pid(shop, 'A')}/related/")
    assert off.status_code == 404
    assert off.json()["error"]["code"] == "not_found"


def test_recommendations_endpoint_needs_a_member_token(shop, member_client):
    _rebuild()
    assert APIClient().get("/api/v1/store/me/recommendations/").status_code == 401
    answer = member_client(shop["me"]).get("/api/v1/store/me/recommendations/")
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()][:2] == [_pid(shop, "B"), _pid(shop, "C")]
