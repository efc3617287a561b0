# ruff: noqa: F811
"""Lost or damaged parcels: the 24-hour clock, resolved by a reship (a new dispatch
allocation) or a refund request; each once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.exceptions import InvalidOrderInput, OrdersPermissionDenied, OrderStateConflict
from orders.models import AfterSale, OrderEvent
from orders.services.shipping import (
    order_lost_parcel_resolve,
    order_report_lost_parcel,
    order_ship,
)
from tests.orders.fulfilment_support import (  # noqa: F401
    buyer,
    clocks,
    make_ops,
    running_clock,
    shipments_of,
    shipper,
    waybills_for,
)

pytestmark = pytest.mark.django_db
CS = ("orders.view_order", "orders.modify_order")


@pytest.fixture
def service(make_ops):
    return make_ops("cs-lost", perms=CS)


def _shipped(make_order, buyer, shipper, lines):
    order = make_order(buyer, lines, status="allocated")
    return order_ship(actor=shipper, order=order, waybills=waybills_for(order))


def test_a_report_starts_the_24_hour_clock_and_a_reship_allocates_the_lines_again(
    make_order, stocked_sku, buyer, shipper, service
):
    from datetime import timedelta

    from dispatch.models import Allocation, Stock

    sku = stocked_sku(10)
    order = _shipped(make_order, buyer, shipper, [(sku, 2)])
    parcel = shipments_of(order)[0]

    clock = order_report_lost_parcel(actor=service, order=order, shipment=parcel, reason="破损")
    assert clock.kind == "order.lost_parcel" and clock.due_at - clock.started_at == timedelta(
        hours=24
    )
    allocation = order_lost_parcel_resolve(
        actor=service, order=order, shipment=parcel, resolution="reship"
    )

    assert allocation.order_no == f"{order.order_no}-R1"
    assert Allocation.objects.filter(order_no=allocation.order_no, status="allocated").exists()
    stock = Stock.objects.get(sku=sku)
    assert (stock.on_hand, stock.reserved) == (8, 2)
    assert clocks("order.lost_parcel", parcel)[-1].status == "met"
    types = list(OrderEvent.objects.filter(order=order).values_list("type", flat=True))
    assert types[-2:] == ["lost_parcel", "lost_parcel_reship"]
    with pytest.raises(OrderStateConflict):  # resolved once
        order_lost_parcel_resolve(actor=service, order=order, shipment=parcel, resolution="reship")


def test_a_refund_opens_a_request_for_the_parcels_share(
    make_order, stocked_sku, buyer, make_ops, service
):
    from tests.orders.fulfilment_support import SHIP_PERMS

    cheap = stocked_sku(5, where=("WH-SH",), price="30.00")
    dear = stocked_sku(5, where=("WH-BJ",), price="70.00")
    everywhere = make_ops("ship-all2", perms=SHIP_PERMS, regions=None)
    order = _shipped(make_order, buyer, everywhere, [(cheap, 1), (dear, 2)])
    parcel = next(s for s in shipments_of(order) if s.warehouse.code == "WH-BJ")
    order_report_lost_parcel(actor=service, order=order, shipment=parcel, reason="丢件")

    case = order_lost_parcel_resolve(
        actor=service, order=order, shipment=parcel, resolution="refund"
    )

    assert case.status == AfterSale.Status.REFUNDING
    assert case.approved_amount == Decimal("140.00")
    assert [(ln.order_line.sku_code, ln.quantity, ln.amount) for ln in case.lines.all()] == [
        (dear.code, 2, Decimal("140.00"))
    ]
    assert running_clock("order.lost_parcel", parcel) is None


def test_lost_parcel_refusals(make_order, stocked_sku, buyer, shipper, service, make_ops):
    sku = stocked_sku()
    order = _shipped(make_order, buyer, shipper, [(sku, 1)])
    parcel = shipments_of(order)[0]
    with pytest.raises(OrdersPermissionDenied):
        order_report_lost_parcel(
            actor=make_ops("v", perms=("orders.view_order",)),
            order=order,
            shipment=parcel,
            reason="x",
        )
    with pytest.raises(InvalidOrderInput):
        order_report_lost_parcel(actor=service, order=order, shipment=parcel, reason="")
    other = make_order(buyer, [(sku, 1)], status="allocated")
    with pytest.raises(OrderStateConflict):  # not shipped
        order_report_lost_parcel(
            actor=service, order=other, shipment=shipments_of(other)[0], reason="x"
        )
    with pytest.raises(InvalidOrderInput):  # another order's parcel
        order_report_lost_parcel(
            actor=service, order=order, shipment=shipments_of(other)[0], reason="x"
        )
    with pytest.raises(OrderStateConflict):  # nothing reported yet
        order_lost_parcel_resolve(actor=service, order=order, shipment=parcel, resolution="refund")
    assert not AfterSale.objects.filter(order=order).exists()
