"""Allocation: covering tier first, fewest shipments, carrier choice, idempotency, release."""

from __future__ import annotations

import pytest

from dispatch import services
from dispatch.exceptions import InvalidDispatchInput, NotDeliverable, OutOfStock
from dispatch.models import Allocation, Shipment, Stock, StockMovement
from dispatch.selectors import stock_ledger_mismatches
from mall.core.actors import system_actor
from ops.models import AuditEntry

pytestmark = pytest.mark.django_db


def _stock(warehouse, sku) -> Stock:
    return Stock.objects.get(warehouse=warehouse, sku=sku)


def test_an_order_is_served_by_the_covering_tier_one_warehouse(
    actor, warehouses, make_sku, put_stock, province
):
    sku = make_sku()
    for code in ("WH-SH", "WH-BJ", "WH-GZ"):
        put_stock(warehouses[code], sku, 5)

    allocation = services.allocate(
        actor=actor, order_no="DD1", province=province("上海"), lines=[(sku.code, 2)]
    )

    shipment = allocation.shipments.get()
    assert shipment.warehouse == warehouses["WH-SH"]
    assert shipment.lines.get().quantity == 2
    assert shipment.carrier.code == "sf"
    assert str(shipment.shipping_fee_amount) == "14.00"
    assert _stock(warehouses["WH-SH"], sku).reserved == 2
    assert _stock(warehouses["WH-BJ"], sku).reserved == 0
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_a_lower_tier_is_used_only_when_the_covering_tier_cannot_fill(
    actor, warehouses, make_sku, put_stock, province
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    put_stock(warehouses["WH-BJ"], sku, 5)
    put_stock(warehouses["WH-GZ"], sku, 5)

    plan = services.predispatch(actor=actor, province="上海市", lines=[(sku.code, 3)])

    # Tier 1 alone (1 unit) cannot fill 3; tiers 1–2 can with one shipment from BJ.
    assert [s.warehouse.code for s in plan.shipments] == ["WH-BJ"]
    assert (plan.promised_delivery_date - plan.promised_delivery_date.today()).days == 3


def test_an_order_no_single_warehouse_can_fill_is_split_into_the_fewest_shipments(
    actor, warehouses, make_sku, put_stock, province
):
    pan, lid = make_sku(), make_sku()
    # 上海: SH tier 1 (pans only), BJ tier 2 (pans and lids), GZ tier 3 (pans and lids).
    put_stock(warehouses["WH-SH"], pan, 5)
    put_stock(warehouses["WH-BJ"], pan, 5)
    put_stock(warehouses["WH-BJ"], lid, 5)
    put_stock(warehouses["WH-GZ"], pan, 5)
    put_stock(warehouses["WH-GZ"], lid, 5)

    # Tier 1 cannot fill (no lids); within tiers 1–2 one shipment from BJ beats SH + BJ.
    one = services.allocate(
        actor=actor, order_no="DD2", province=province("上海"), lines=[(pan.code, 2), (lid.code, 2)]
    )
    assert [s.warehouse.code for s in one.shipments.all()] == ["WH-BJ"]

    # 3 lids are left at BJ: 6 lids need tier 3 too, and the fewest shipments is 2.
    two = services.allocate(
        actor=actor, order_no="DD3", province=province("上海"), lines=[(pan.code, 2), (lid.code, 6)]
    )
    lines = {
        (s.warehouse.code, line.sku.code): line.quantity
        for s in two.shipments.all()
        for line in s.lines.all()
    }
    assert lines == {("WH-BJ", pan.code): 2, ("WH-BJ", lid.code): 3, ("WH-GZ", lid.code): 3}
    assert stock_ledger_mismatches(actor=system_actor()) == []


def test_the_tier_one_warehouse_wins_even_when_a_lower_tier_has_more(
    actor, warehouses, make_sku, put_stock, province
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 2)
    put_stock(warehouses["WH-GZ"], sku, 100)
    plan = services.predispatch(actor=actor, province=province("上海"), lines=[(sku.code, 2)])
    assert [s.warehouse.code for s in plan.shipments] == ["WH-SH"]
    assert plan.is_split is False


def test_a_line_is_split_across_warehouses_when_it_must_be(
    actor, warehouses, make_sku, put_stock, province
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 2)
    put_stock(warehouses["WH-BJ"], sku, 2)

    allocation = services.allocate(
        actor=actor, order_no="DD4", province=province("上海"), lines=[(sku.code, 3)]
    )

    by_warehouse = {s.warehouse.code: s.lines.get().quantity for s in allocation.shipments.all()}
    assert by_warehouse == {"WH-SH": 2, "WH-BJ": 1}


def test_allocation_beyond_sellable_stock_is_refused_and_changes_nothing(
    actor, warehouses, make_sku, put_stock, province
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 2)
    movements = StockMovement.objects.count()

    with pytest.raises(OutOfStock) as raised:
        services.allocate(
            actor=actor, order_no="DD5", province=province("上海"), lines=[(sku.code, 3)]
        )

    assert raised.value.code == "out_of_stock"
    assert raised.value.status_code == 409
    assert _stock(warehouses["WH-SH"], sku).reserved == 0
    assert StockMovement.objects.count() == movements
    assert not Allocation.objects.filter(order_no="DD5").exists()


def test_a_province_no_warehouse_covers_is_not_deliverable(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 2)
    with pytest.raises(NotDeliverable):
        services.predispatch(actor=actor, province="西藏", lines=[(sku.code, 1)])


def test_bad_lines_are_invalid_input(actor, warehouses, make_sku):
    sku = make_sku()
    for lines in ([], [("NOPE", 1)], [(sku.code, 0)], [(sku.code, "2")], [{"sku": None}]):
        with pytest.raises(InvalidDispatchInput):
            services.predispatch(actor=actor, province="上海", lines=lines)


def test_allocating_the_same_order_twice_returns_the_first_allocation(
    actor, warehouses, make_sku, put_stock, province
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    first = services.allocate(actor=actor, order_no="DD6", province="上海", lines=[(sku.code, 2)])
    again = services.allocate(actor=actor, order_no="DD6", province="上海", lines=[(sku.code, 2)])
    assert again.pk == first.pk
    assert _stock(warehouses["WH-SH"], sku).reserved == 2


def test_one_audit_entry_is_written_per_allocation(actor, warehouses, make_sku, put_stock):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    before = AuditEntry.objects.filter(action="dispatch.allocate").count()
    services.allocate(actor=actor, order_no="DD7", province="上海", lines=[(sku.code, 1)])
    entries = AuditEntry.objects.filter(action="dispatch.allocate")
    assert entries.count() == before + 1
    assert entries.last().data["order_no"] == "DD7"


def test_release_gives_back_the_reservation_and_is_safe_to_repeat(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 5)
    services.allocate(actor=actor, order_no="DD8", province="上海", lines=[(sku.code, 3)])

    released = services.allocation_release(actor=actor, order_no="DD8", reason="unpaid timeout")

    assert released.status == Allocation.Status.RELEASED
    assert released.shipments.get().status == Shipment.Status.CANCELLED
    assert _stock(warehouses["WH-SH"], sku).reserved == 0
    assert services.allocation_release(actor=actor, order_no="DD8", reason="again") is None
    assert stock_ledger_mismatches(actor=system_actor()) == []
    # A released order may be allocated again.
    services.allocate(actor=actor, order_no="DD8", province="上海", lines=[(sku.code, 1)])
    assert _stock(warehouses["WH-SH"], sku).reserved == 1


def test_a_supplier_warehouse_shipment_is_a_supplier_order(
    actor, warehouses, make_sku, put_stock, province
):
    from dispatch.models import Warehouse
    from rbac.models import SalesRegion

    supplier = services.warehouse_save(
        actor=actor,
        code="WH-SUP",
        name="供应商仓",
        type=Warehouse.Type.SUPPLIER,
        region=SalesRegion.objects.get(code="east"),
        address="杭州",
        contact_name="李四",
        contact_phone="0571-0000000",
    )
    services.coverage_area_save(
        actor=actor, warehouse=supplier, province=province("浙江"), tier=1, promised_days=2
    )
    sku = make_sku()
    put_stock(supplier, sku, 3)
    allocation = services.allocate(
        actor=actor, order_no="DD9", province="浙江", lines=[(sku.code, 1)]
    )
    assert allocation.shipments.get().is_supplier_order is True


def test_shipments_by_order_groups_the_shipments_of_many_orders(
    actor, warehouses, make_sku, put_stock, django_assert_max_num_queries
):
    from dispatch.selectors import shipments_by_order

    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 1)
    put_stock(warehouses["WH-BJ"], sku, 5)
    services.allocate(actor=actor, order_no="G1", province="上海", lines=[(sku.code, 3)])
    services.allocate(actor=actor, order_no="G2", province="北京", lines=[(sku.code, 1)])
    with django_assert_max_num_queries(3):
        grouped = shipments_by_order(actor=actor, order_nos=["G1", "G2", "G3"])
        codes = {no: [s.warehouse.code for s in found] for no, found in grouped.items()}
        lines = [line.quantity for s in grouped["G1"] for line in s.lines.all()]
    assert codes == {"G1": ["WH-BJ"], "G2": ["WH-BJ"], "G3": []}
    assert lines == [3]


def test_a_release_reason_too_long_is_refused_and_the_reservation_kept(
    actor, warehouses, make_sku, put_stock
):
    sku = make_sku()
    put_stock(warehouses["WH-SH"], sku, 3)
    services.allocate(actor=actor, order_no="RL1", province="上海", lines=[(sku.code, 2)])

    with pytest.raises(InvalidDispatchInput) as refused:
        services.allocation_release(actor=actor, order_no="RL1", reason="因" * 201)

    assert "released_reason" in refused.value.fields
    assert Stock.objects.get(warehouse=warehouses["WH-SH"], sku=sku).reserved == 2
    assert Allocation.objects.get(order_no="RL1").status == Allocation.Status.ALLOCATED
