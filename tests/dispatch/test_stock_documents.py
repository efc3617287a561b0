"""Warehouse documents: purchase inbound, transfer, stocktake, return receipt, safety stock."""

from __future__ import annotations

import pytest

from dispatch import services
from dispatch.exceptions import (
    DispatchNotFound,
    DispatchPermissionDenied,
    InsufficientStock,
    InvalidStateTransition,
)
from dispatch.models import Stock, StockMovement, Transfer
from dispatch.selectors import stock_ledger_mismatches
from mall.core.actors import system_actor

pytestmark = pytest.mark.django_db


def _figures(warehouse, sku) -> tuple[int, int, int]:
    stock = Stock.objects.get(warehouse=warehouse, sku=sku)
    return stock.on_hand, stock.reserved, stock.in_transit


def test_a_purchase_is_in_transit_until_it_arrives_once(actor, warehouses, make_sku):
    sku = make_sku()
    document = services.purchase_inbound_create(
        actor=actor, warehouse=warehouses["WH-SH"], lines=[(sku.code, 7)], supplier_name="苏泊尔"
    )
    assert _figures(warehouses["WH-SH"], sku) == (0, 0, 7)
    services.purchase_inbound_arrive(actor=actor, document=document)
    assert _figures(warehouses["WH-SH"], sku) == (7, 0, 0)
    with pytest.raises(InvalidStateTransition):
        services.purchase_inbound_arrive(actor=actor, document=document)
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_a_transfer_moves_free_units_and_refuses_reserved_ones(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    services.allocate(actor=actor, order_no="DT1", province="上海", lines=[(sku.code, 3)])

    with pytest.raises(InsufficientStock):
        services.transfer_create(
            actor=actor,
            from_warehouse=warehouses["WH-SH"],
            to_warehouse=warehouses["WH-BJ"],
            lines=[(sku.code, 3)],
        )
    assert not Transfer.objects.exists()  # nothing half-written

    transfer = services.transfer_create(
        actor=actor,
        from_warehouse=warehouses["WH-SH"],
        to_warehouse=warehouses["WH-BJ"],
        lines=[(sku.code, 2)],
    )
    assert _figures(warehouses["WH-SH"], sku) == (3, 3, 0)
    assert _figures(warehouses["WH-BJ"], sku) == (0, 0, 2)
    services.transfer_receive(actor=actor, document=transfer)
    assert _figures(warehouses["WH-BJ"], sku) == (2, 0, 0)
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_a_stocktake_books_gains_and_losses(actor, warehouses, make_sku, put_stock):
    gain, loss, same = make_sku(), make_sku(), make_sku()
    for sku in (gain, loss, same):
        put_stock(warehouses["WH-GZ"], sku, 10)

    document = services.stocktake_record(
        actor=actor,
        warehouse=warehouses["WH-GZ"],
        counts=[(gain.code, 12), (loss.code, 7), (same.code, 10)],
    )

    differences = {line.sku.code: line.difference for line in document.lines.all()}
    assert differences == {gain.code: 2, loss.code: -3, same.code: 0}
    kinds = set(
        StockMovement.objects.filter(reference_no=document.document_no).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"stocktake_gain", "stocktake_loss"}
    assert _figures(warehouses["WH-GZ"], loss) == (7, 0, 0)
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_a_count_below_the_reserved_units_is_refused(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    services.allocate(actor=actor, order_no="DT2", province="上海", lines=[(sku.code, 4)])
    with pytest.raises(InsufficientStock):
        services.stocktake_record(
            actor=actor, warehouse=warehouses["WH-SH"], counts=[(sku.code, 3)]
        )
    assert _figures(warehouses["WH-SH"], sku) == (5, 4, 0)


def test_returned_goods_come_back_on_hand(actor, warehouses, make_sku):
    sku = make_sku()
    services.return_receipt_record(
        actor=actor, warehouse=warehouses["WH-BJ"], order_no="DD20260601", lines=[(sku.code, 1)]
    )
    assert _figures(warehouses["WH-BJ"], sku) == (1, 0, 0)
    assert StockMovement.objects.get().kind == "return_in"


def test_the_clerk_works_only_on_their_own_warehouse(clerk, warehouses, make_sku):
    sku = make_sku()
    services.purchase_inbound_create(
        actor=clerk, warehouse=warehouses["WH-SH"], lines=[(sku.code, 1)]
    )
    with pytest.raises(DispatchNotFound):
        services.purchase_inbound_create(
            actor=clerk, warehouse=warehouses["WH-BJ"], lines=[(sku.code, 1)]
        )


def test_staff_without_the_function_permission_are_refused(make_staff, warehouses, make_sku):
    sku = make_sku()
    nobody = make_staff("nobody")
    with pytest.raises(DispatchPermissionDenied):
        services.purchase_inbound_create(
            actor=nobody, warehouse=warehouses["WH-SH"], lines=[(sku.code, 1)]
        )


def test_safety_stock_is_set_through_the_service(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    stock = Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku)
    services.stock_safety_set(actor=actor, stock=stock, safety_stock=5)
    stock.refresh_from_db()
    assert stock.safety_stock == 5


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("supplier_name", {"supplier_name": "供" * 101}),
        ("note", {"note": "备" * 201}),
    ],
)
def test_a_purchase_with_a_text_too_long_is_refused_not_cut(
    actor, warehouses, make_sku, field, values
):
    from dispatch.exceptions import InvalidDispatchInput
    from dispatch.models import PurchaseInbound

    sku = make_sku()
    with pytest.raises(InvalidDispatchInput) as refused:
        services.purchase_inbound_create(
            actor=actor, warehouse=warehouses["WH-SH"], lines=[(sku.code, 1)], **values
        )
    assert field in refused.value.fields
    assert not PurchaseInbound.objects.exists()
    assert not StockMovement.objects.exists()


def test_a_return_receipt_with_an_order_number_too_long_is_refused_not_cut(
    actor, warehouses, make_sku
):
    from dispatch.exceptions import InvalidDispatchInput

    sku = make_sku()
    with pytest.raises(InvalidDispatchInput) as refused:
        services.return_receipt_record(
            actor=actor, warehouse=warehouses["WH-SH"], order_no="D" * 41, lines=[(sku.code, 1)]
        )
    assert "order_no" in refused.value.fields
    assert not StockMovement.objects.exists()
