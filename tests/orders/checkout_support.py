"""Helpers of the checkout tests (placement, payment, cancellation): imported as fixtures.

``on_shelf_sku`` makes a SKU that can be bought (product on shelf, stock in WH-SH);
``shanghai`` is a complete delivery address; ``sandbox_post`` sends a correctly
signed sandbox payment notification through the API.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

_numbers = itertools.count(1)

SHANGHAI = {
    "name": "张三",
    "phone": "13912345678",
    "province": "上海",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "幸福路 1 号",
}


@pytest.fixture
def on_shelf_sku(stocked_sku):
    """A SKU of an on-shelf product with ``quantity`` units in WH-SH."""
    from catalog.models import Product, Sku

    def make(
        quantity: int = 100,
        *,
        price="99.00",
        weight_grams: int = 0,
        virtual: bool = False,
        where=("WH-SH",),
        code: str | None = None,
    ):
        sku = stocked_sku(quantity, price=price, where=() if virtual else where, code=code)
        Product.objects.filter(pk=sku.product_id).update(
            status=Product.Status.ON_SHELF, is_virtual=virtual
        )
        Sku.objects.filter(pk=sku.pk).update(weight_grams=weight_grams)
        return Sku.objects.select_related("product", "product__category").get(pk=sku.pk)

    return make


@pytest.fixture
def buyer(make_member):
    """A fresh member (level VIP1: no discount, no free shipping)."""

    def make(phone: str | None = None):
        return make_member(phone or f"1370000{next(_numbers):04d}")

    return make


@pytest.fixture
def give_points(actor):
    from members.services.points import points_earn

    def give(member, points: int):
        points_earn(
            actor=actor,
            member=member,
            reason="adjustment",
            reference=f"test-{next(_numbers)}",
            points=points,
        )
        member.refresh_from_db()
        return member

    return give


@pytest.fixture
def give_coupon(actor):
    """Give ``member`` a coupon of a new template (kind, amount, threshold, rate)."""
    from members.models import Coupon, CouponTemplate

    def give(member, *, kind="amount_off", amount=None, threshold="0", rate=None, categories=()):
        now = timezone.now()
        template = CouponTemplate.objects.create(
            name=f"券{next(_numbers)}",
            kind=kind,
            discount_amount=Decimal(amount) if amount is not None else None,
            threshold_amount=Decimal(threshold),
            discount_rate=Decimal(rate) if rate is not None else None,
            total_stock=100,
            issued_count=1,
        )
        if categories:
            template.categories.set(categories)
        return Coupon.objects.create(
            template=template,
            member=member,
            source=Coupon.Source.GRANT,
            valid_from=now - timezone.timedelta(days=1),
            valid_until=now + timezone.timedelta(days=7),
        )

    return give


@pytest.fixture
def freight(db):
    """The default freight template: 10.00 for the first 1000 g, 5.00 per extra 500 g."""
    from orders.models import FreightTemplate

    template, _created = FreightTemplate.objects.update_or_create(
        is_default=True,
        defaults={
            "name": "默认运费模板",
            "first_weight_grams": 1000,
            "first_fee_amount": Decimal("10.00"),
            "extra_weight_grams": 500,
            "extra_fee_amount": Decimal("5.00"),
        },
    )
    return template


def sign(body: bytes) -> str:
    return hmac.new(settings.PAYMENT_SANDBOX_SECRET.encode(), body, hashlib.sha256).hexdigest()


def notify_body(transaction_no: str, amount: str, *, status: str = "SUCCESS", nonce: str = "n1"):
    return json.dumps(
        {
            "transaction_no": transaction_no,
            "channel_trade_no": f"SBX{transaction_no}",
            "amount": amount,
            "status": status,
            "paid_at": timezone.now().isoformat(),
            "nonce": nonce,
        }
    ).encode()


def sandbox_post(client, body: bytes, signature: str | None = None):
    return client.post(
        "/api/v1/payments/notify/sandbox/",
        data=body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=sign(body) if signature is None else signature,
    )
