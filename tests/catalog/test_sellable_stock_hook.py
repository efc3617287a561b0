"""``catalog.sellable_stock`` as dispatch provides it: the reader's scoped stock only."""

from __future__ import annotations

import pytest

from catalog.availability import product_sellable_stock
from tests.dispatch.conftest import (  # noqa: F401 - fixtures reused by name
    actor,
    category,
    clerk,
    make_sku,
    product_owner,
    province,
    put_stock,
    warehouses,
)

pytestmark = pytest.mark.django_db


def test_the_clerk_sees_the_sellable_stock_of_their_warehouse_only(
    clerk,  # noqa: F811
    warehouses,  # noqa: F811
    make_sku,  # noqa: F811
    put_stock,  # noqa: F811
    actor,  # noqa: F811
):
    sku = make_sku()
    other = make_sku()
    put_stock(warehouses["WH-SH"], sku, 7)
    put_stock(warehouses["WH-BJ"], sku, 100)
    answer = product_sellable_stock(actor=clerk, product_ids=[sku.product_id, other.product_id])
    assert answer == {sku.product_id: 7, other.product_id: 0}


def test_a_reader_without_the_stock_permission_gets_no_figure(
    warehouses,  # noqa: F811
    make_sku,  # noqa: F811
    put_stock,  # noqa: F811
    staff_with_role,
):
    from catalog import permissions as perms

    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 7)
    reader = staff_with_role("no-stock", perms=[perms.VIEW_PRODUCT], scope="all")
    assert product_sellable_stock(actor=reader, product_ids=[sku.product_id]) == {}
