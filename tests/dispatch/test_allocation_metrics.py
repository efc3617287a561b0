"""Allocations and out-of-stock answers are counted for /metrics (mall/core/metrics.py)."""

from __future__ import annotations

import pytest
from django.db import transaction

from dispatch import services
from dispatch.exceptions import OutOfStock
from mall.core.metrics import counter_value

pytestmark = pytest.mark.django_db


def test_a_committed_allocation_is_counted_once(
    actor, warehouses, make_sku, put_stock, province, django_capture_on_commit_callbacks
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    before = counter_value("allocations")

    with django_capture_on_commit_callbacks(execute=True):
        services.allocate(
            actor=actor, order_no="M1", province=province("上海"), lines=[(sku.code, 2)]
        )
    # The same order again gets its allocation back: nothing new to count.
    with django_capture_on_commit_callbacks(execute=True):
        services.allocate(
            actor=actor, order_no="M1", province=province("上海"), lines=[(sku.code, 2)]
        )

    assert counter_value("allocations") == before + 1


def test_an_allocation_rolled_back_by_its_caller_is_not_counted(
    actor, warehouses, make_sku, put_stock, province, django_capture_on_commit_callbacks
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    before = counter_value("allocations")

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.allocate(
            actor=actor, order_no="M2", province=province("上海"), lines=[(sku.code, 1)]
        )
        raise RuntimeError("the order could not be placed")

    assert counter_value("allocations") == before


def test_every_out_of_stock_answer_is_counted(actor, warehouses, make_sku, put_stock, province):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    before = counter_value("out_of_stock")

    with pytest.raises(OutOfStock):
        services.predispatch(actor=actor, province="上海市", lines=[(sku.code, 50)])
    with pytest.raises(OutOfStock):
        services.allocate(
            actor=actor, order_no="M3", province=province("上海"), lines=[(sku.code, 50)]
        )

    assert counter_value("out_of_stock") == before + 2
