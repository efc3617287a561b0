# ruff: noqa: F811, F403, F405
"""Fund freezes: freezing blocks shipping and refunds (409 ``order_frozen``) until
released; the orders screen's own freeze button writes the same record; refusals."""

from __future__ import annotations

import pytest

from ops.models import AuditEntry
from orders.exceptions import OrderFrozen
from orders.services.cancellation import order_cancel
from orders.services.review import order_freeze, order_unfreeze
from orders.services.shipping import order_ship
from risk.exceptions import (
    FreezeNotFound,
    InvalidRiskInput,
    RiskPermissionDenied,
    RiskStateConflict,
)
from risk.models import FundFreeze
from risk.services.freezes import freeze_create, freeze_release
from tests.orders.after_sales_fixtures import cs_agent, finance, staff  # noqa: F401
from tests.orders.fulfilment_support import shipper  # noqa: F401
from tests.risk.admin_support import *

pytestmark = pytest.mark.django_db


def test_a_frozen_order_cannot_ship_until_released(
    make_order, stocked_sku, buyer, officer, shipper
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="allocated")
    freeze = freeze_create(actor=officer, order=order, reason="疑似盗卡")
    order.refresh_from_db()
    assert order.is_frozen and freeze.status == "active"
    assert freeze.amount == order.paid_amount and freeze.region_id == order.region_id

    with pytest.raises(OrderFrozen) as refused:
        order_ship(actor=shipper, order=order, waybills=waybills_for(order))
    assert (refused.value.status_code, refused.value.code) == (409, "order_frozen")

    freeze_release(actor=officer, freeze=freeze, reason="核实为本人")
    freeze.refresh_from_db()
    order.refresh_from_db()
    assert (freeze.status, freeze.released_by, order.is_frozen) == ("released", officer, False)
    assert order_ship(actor=shipper, order=order, waybills=waybills_for(order)).status == "shipped"
    actions = list(
        AuditEntry.objects.filter(action__startswith="risk.freeze").values_list("action", flat=True)
    )
    assert sorted(actions) == ["risk.freeze", "risk.freeze_release"]


def test_a_frozen_order_is_not_refunded(make_order, stocked_sku, buyer, officer, staff):
    from orders.models import AfterSale

    canceller = staff("canceller", ("orders.view_order", "orders.cancel_order"))
    order = make_order(buyer, [(stocked_sku(), 1)], status="paid")
    freeze = freeze_create(actor=officer, order=order, reason="风控冻结")
    with pytest.raises(OrderFrozen) as refused:
        order_cancel(actor=canceller, order=order, reason="退款")
    assert refused.value.code == "order_frozen"
    assert not AfterSale.objects.filter(order=order).exists()  # no refund request opened

    freeze_release(actor=officer, freeze=freeze, reason="解除")
    assert order_cancel(actor=canceller, order=order, reason="退款").status == "cancelled"
    assert AfterSale.objects.filter(order=order).exists()


def test_a_frozen_order_is_not_refunded_by_after_sales(
    make_order, stocked_sku, buyer, officer, cs_agent, finance
):
    from django.utils import timezone

    from orders.services.after_sales import (
        after_sale_approve,
        after_sale_refund_execute,
        after_sale_request,
    )

    now = timezone.now()
    order = make_order(buyer, [(stocked_sku(), 2)], status="delivered", delivered_at=now)
    case = after_sale_request(
        actor=buyer,
        order=order,
        kind="refund_only",
        lines=[(order.lines.get(), 1)],
        reason="quality",
    )
    after_sale_approve(actor=cs_agent, after_sale=case)
    freeze = freeze_create(actor=officer, order=order, reason="恶意退款")
    with pytest.raises(OrderFrozen):
        after_sale_refund_execute(actor=finance, after_sale=case)
    freeze_release(actor=officer, freeze=freeze, reason="核实")
    after_sale_refund_execute(actor=finance, after_sale=case)
    case.refresh_from_db()
    assert case.status in ("completed", "refunding")
    order.refresh_from_db()
    assert order.refunded_amount > 0 or case.refund_submitted_at is not None


def test_the_orders_own_freeze_button_writes_the_same_record(
    make_order, stocked_sku, buyer, officer
):
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    order_freeze(actor=officer, order=order, reason="订单页冻结")
    freeze = FundFreeze.objects.get(order=order)
    assert (freeze.status, freeze.reason, freeze.frozen_by) == ("active", "订单页冻结", officer)

    order_unfreeze(actor=officer, order=order, reason="订单页解冻")
    freeze.refresh_from_db()
    assert freeze.status == "released"

    # risk's freeze and the orders screen's release: still one record, in step
    second = freeze_create(actor=officer, order=order, reason="再次冻结")
    order.refresh_from_db()
    order_unfreeze(actor=officer, order=order, reason="订单页解冻")
    second.refresh_from_db()
    assert second.status == "released"
    assert FundFreeze.objects.filter(order=order).count() == 2
    assert not FundFreeze.objects.filter(order=order, status="active").exists()


def test_freeze_refusals(make_order, stocked_sku, buyer, officer, viewer, north_officer):
    order = make_order(buyer, [(stocked_sku(), 1)], status="paid")
    with pytest.raises(RiskPermissionDenied):
        freeze_create(actor=viewer, order=order, reason="x")
    with pytest.raises(InvalidRiskInput):
        freeze_create(actor=officer, order=order, reason="")
    from orders.exceptions import OrderNotFound

    with pytest.raises(OrderNotFound):
        freeze_create(actor=north_officer, order=order, reason="x")  # east order

    freeze = freeze_create(actor=officer, order=order, reason="冻结")
    with pytest.raises(RiskStateConflict) as twice:
        freeze_create(actor=officer, order=order, reason="again")
    assert twice.value.status_code == 409
    with pytest.raises(FreezeNotFound):
        freeze_release(actor=north_officer, freeze=freeze, reason="x")
    freeze_release(actor=officer, freeze=freeze, reason="解除")
    with pytest.raises(RiskStateConflict):
        freeze_release(actor=officer, freeze=freeze, reason="again")
    done = make_order(buyer, [(stocked_sku(), 1)], status="completed")
    with pytest.raises(Exception) as finished:  # orders refuses: 409
        freeze_create(actor=officer, order=done, reason="x")
    assert getattr(finished.value, "status_code", None) == 409
    assert not FundFreeze.objects.filter(order=done).exists()


def test_the_warehouse_cannot_ship_a_frozen_order_from_the_shipment_either(
    make_order, stocked_sku, buyer, officer, shipper
):
    """dispatch's own ship path (发货单 → 发货, the dispatch API) asks orders first."""
    from dispatch.models import Shipment
    from dispatch.services.allocation import shipment_ship

    order = make_order(buyer, [(stocked_sku(), 1)], status="allocated")
    shipment = Shipment.objects.filter(order_no=order.order_no).first()
    assert shipment is not None and shipment.status == Shipment.Status.PENDING
    freeze = freeze_create(actor=officer, order=order, reason="疑似盗卡")

    with pytest.raises(OrderFrozen):
        shipment_ship(actor=shipper, shipment=shipment, waybill_no="SF0001")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PENDING

    freeze_release(actor=officer, freeze=freeze, reason="核实为本人")
    shipment_ship(actor=shipper, shipment=shipment, waybill_no="SF0001")
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED


def test_the_order_screen_cannot_release_a_freeze_without_the_release_permission(
    make_order, stocked_sku, buyer, officer, make_ops
):
    """orders.freeze_order alone (an ops lead) does not lift risk's freeze."""
    from risk.exceptions import RiskPermissionDenied as Denied

    lead = make_ops("freezer_only", perms=["orders.view_order", "orders.freeze_order"])
    order = make_order(buyer, [(stocked_sku(), 1)], status="pending_review")
    freeze = freeze_create(actor=officer, order=order, reason="疑似盗卡")
    order.refresh_from_db()
    with pytest.raises(Denied):
        order_unfreeze(actor=lead, order=order, reason="想发货")
    order.refresh_from_db()
    freeze.refresh_from_db()
    assert order.is_frozen and freeze.status == "active"
