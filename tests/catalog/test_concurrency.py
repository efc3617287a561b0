"""Concurrent decisions on one product or SKU: exactly one wins (PostgreSQL row locks)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog import services
from catalog.exceptions import CatalogError
from catalog.models import ProductEvent, PromotionPrice
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except CatalogError as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_reviewers_deciding_at_once_leave_one_decision(
    make_product, author, reviewer, staff_with_role
):
    from catalog import permissions as perms

    second = staff_with_role("reviewer2", perms=perms.OPS_LEAD_PERMISSIONS, scope="all")
    product = make_product(author)
    services.product_submit(actor=author, product=product)

    outcomes = _race(
        lambda: services.product_approve(actor=reviewer, product=product),
        lambda: services.product_reject(actor=second, product=product, reason="重复商品"),
    )
    assert sum(isinstance(o, CatalogError) for o in outcomes) == 1
    decisions = ProductEvent.objects.filter(product=product, kind__in=["approved", "rejected"])
    assert decisions.count() == 1


def test_overlapping_promotions_created_at_once_leave_one(make_product, author):
    sku = make_product(author, price="100.00").skus.get()
    start = timezone.now() + timedelta(hours=1)

    def promote(price):
        return lambda: services.promotion_price_create(
            actor=author,
            sku=sku,
            price_amount=price,
            starts_at=start,
            ends_at=start + timedelta(days=1),
        )

    outcomes = _race(promote("90.00"), promote("80.00"), promote("70.00"))
    assert sum(isinstance(o, PromotionPrice) for o in outcomes) == 1
    assert PromotionPrice.objects.filter(sku=sku).count() == 1
