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


def test_a_product_code_taken_by_a_concurrent_transaction_is_a_400_not_a_500(author, leaf):
    """The code check passes while the other INSERT is uncommitted; the INSERT then fails."""
    from django.db import transaction

    from catalog.exceptions import InvalidProductData
    from catalog.models import Product

    inserted, release = threading.Event(), threading.Event()
    outcome: list = []

    def first():
        try:
            with transaction.atomic():
                services.product_create(
                    actor=author, code="RACE-1", title="电饭煲 先到", category=leaf
                )
                inserted.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    def second():
        try:
            inserted.wait(timeout=10)
            # Let the first transaction commit while this one waits on the unique index.
            threading.Timer(0.5, release.set).start()
            outcome.append(
                services.product_create(
                    actor=author, code="RACE-1", title="电饭煲 后到", category=leaf
                )
            )
        except Exception as exc:  # noqa: BLE001 - the test inspects what escaped
            outcome.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [result] = outcome
    assert isinstance(result, InvalidProductData), repr(result)
    assert list(result.fields) == ["code"]
    assert list(Product.objects.filter(code="RACE-1").values_list("title", flat=True)) == [
        "电饭煲 先到"
    ]
