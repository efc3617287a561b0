# ruff: noqa: F811
"""Virtual goods (seed 003): one code per unit, issued at approval (parameter) or on
shipping, stored encrypted with a lookup hash, masked on screen, reveals audited,
redeem / write off, refunds void what is unredeemed."""

from __future__ import annotations

import pytest

from mall.core.actors import system_actor
from orders.exceptions import OrderNotFound, OrdersPermissionDenied, OrderStateConflict
from orders.models import Order, VirtualCode
from orders.services.review import order_approve
from orders.services.shipping import order_ship
from orders.services.virtual_goods import (
    virtual_code_masked,
    virtual_code_redeem,
    virtual_code_reveal,
    virtual_code_write_off,
    virtual_codes_void,
)
from tests.orders.fulfilment_support import buyer, make_ops, reviewer, shipper  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def card_sku(stocked_sku):
    from catalog.models import Product

    sku = stocked_sku(0, where=())
    Product.objects.filter(pk=sku.product_id).update(is_virtual=True)
    sku.product.refresh_from_db()
    return sku


def _set_auto_ship(value: bool):
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    SystemParameter.objects.update_or_create(
        key="orders.virtual_auto_ship", defaults={"value": value}
    )
    forget_cached("orders.virtual_auto_ship")


def test_approval_issues_one_encrypted_code_per_unit_and_ships_at_once(
    make_order, card_sku, buyer, reviewer
):
    from members.crypto import lookup_hash
    from ops.models import AuditEntry

    order = make_order(buyer, [(card_sku, 3)], status="pending_review")
    assert order.is_virtual

    approved = order_approve(actor=reviewer, order=order)

    assert approved.status == Order.Status.SHIPPED and approved.shipped_at is not None
    codes = list(VirtualCode.objects.filter(order=order))
    assert len(codes) == 3 and {c.status for c in codes} == {"issued"}
    plain = [c.code for c in codes]
    assert len(set(plain)) == 3
    for code in codes:
        assert code.code not in code.code_encrypted
        assert code.code_hash == lookup_hash(code.code, purpose="virtual_code")
        masked = virtual_code_masked(actor=reviewer, code=code)
        assert masked == f"{code.code[:4]}-****-****-{code.code[-4:]}"
    issue = AuditEntry.objects.get(action="virtual_code.issue")
    assert issue.data["count"] == 3 and not any(p in str(issue.data) for p in plain)


def test_with_the_parameter_off_codes_are_issued_when_the_order_ships(
    make_order, card_sku, buyer, reviewer, shipper
):
    _set_auto_ship(False)
    order = make_order(buyer, [(card_sku, 2)], status="pending_review")

    assert order_approve(actor=reviewer, order=order).status == Order.Status.APPROVED
    assert not VirtualCode.objects.filter(order=order).exists()
    shipped = order_ship(actor=shipper, order=order, waybills={})
    assert shipped.status == Order.Status.SHIPPED
    assert VirtualCode.objects.filter(order=order).count() == 2


def test_a_reveal_needs_the_permission_and_is_audited(
    make_order, card_sku, buyer, reviewer, make_ops
):
    from ops.models import AuditEntry

    order = make_order(buyer, [(card_sku, 1)], status="pending_review")
    order_approve(actor=reviewer, order=order)
    code = VirtualCode.objects.get(order=order)
    with pytest.raises(OrdersPermissionDenied):
        virtual_code_reveal(actor=reviewer, code=code)
    north = make_ops(
        "north-rev", perms=("orders.view_order", "orders.reveal_virtual_code"), regions=("north",)
    )
    with pytest.raises(OrderNotFound):
        virtual_code_reveal(actor=north, code=code)
    revealer = make_ops("revealer", perms=("orders.view_order", "orders.reveal_virtual_code"))

    assert virtual_code_reveal(actor=revealer, code=code, purpose="copy") == code.code

    entry = AuditEntry.objects.get(action="virtual_code.reveal")
    assert entry.actor_id == revealer.pk and entry.data["purpose"] == "copy"


def test_redeem_then_write_off_and_a_second_redeem_is_refused(
    make_order, card_sku, buyer, reviewer, make_ops
):
    order = make_order(buyer, [(card_sku, 1)], status="pending_review")
    order_approve(actor=reviewer, order=order)
    code = VirtualCode.objects.get(order=order)
    partner = make_ops("partner", perms=("orders.view_order", "orders.change_virtualcode"))

    redeemed = virtual_code_redeem(actor=partner, code=code.code.lower(), write_off_later=True)
    assert redeemed.status == "pending_write_off" and redeemed.redeemed_at is not None
    with pytest.raises(OrderStateConflict):
        virtual_code_redeem(actor=partner, code=code.code)
    with pytest.raises(OrderNotFound):
        virtual_code_redeem(actor=partner, code="NOPE-NOPE-NOPE-NOPE")
    done = virtual_code_write_off(actor=partner, code=code)
    assert done.status == "written_off" and done.written_off_at is not None


def test_a_refund_voids_only_the_unredeemed_codes(make_order, card_sku, buyer, reviewer):
    order = make_order(buyer, [(card_sku, 3)], status="pending_review")
    order_approve(actor=reviewer, order=order)
    first = VirtualCode.objects.filter(order=order).order_by("id").first()
    virtual_code_redeem(actor=system_actor(), code=first.code)

    assert virtual_codes_void(actor=system_actor(), order=order) == 2

    statuses = sorted(VirtualCode.objects.filter(order=order).values_list("status", flat=True))
    assert statuses == ["redeemed", "voided", "voided"]


def test_the_staff_api_shows_codes_masked_and_reveals_one_with_an_audit_entry(
    make_order, card_sku, buyer, reviewer, make_ops, staff_client
):
    from ops.models import AuditEntry

    order = make_order(buyer, [(card_sku, 2)], status="pending_review")
    order_approve(actor=reviewer, order=order)
    codes = list(VirtualCode.objects.filter(order=order).order_by("id"))
    base = f"/api/v1/orders/{order.order_no}/"

    shown = staff_client(reviewer).get(base).json()["virtual_codes"]
    assert [c["code"] for c in shown] == [
        virtual_code_masked(actor=reviewer, code=c) for c in codes
    ]
    assert not any(c.code in str(shown) for c in codes)
    refused = staff_client(reviewer).post(f"{base}reveal-code/", {"code": codes[0].pk})
    assert refused.status_code == 403

    revealer = make_ops("api-revealer", perms=("orders.view_order", "orders.reveal_virtual_code"))
    client = staff_client(revealer)
    response = client.post(f"{base}reveal-code/", {"code": codes[1].pk, "purpose": "copy"})
    assert response.status_code == 200 and response.json()["code"] == codes[1].code
    other = make_order(buyer, [(card_sku, 1)], status="pending_review")
    order_approve(actor=reviewer, order=other)
    foreign = VirtualCode.objects.get(order=other)
    assert client.post(f"{base}reveal-code/", {"code": foreign.pk}).status_code == 404
    assert AuditEntry.objects.filter(action="virtual_code.reveal").count() == 1
