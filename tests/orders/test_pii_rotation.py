"""Orders' encrypted snapshots (recipient, phone, street, virtual codes) rotate with the key."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from orders.models import Order
from tests.members.test_pii_encryption import KEY_A, KEY_B, raw_rows

pytestmark = pytest.mark.django_db


def test_key_rotation_reencrypts_order_address_snapshots(make_order, make_member, stocked_sku):
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_A], PII_LOOKUP_KEY="lookup"):
        order = make_order(make_member(), [(stocked_sku(5), 1)], status="pending_payment")
        order_id = order.pk
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_B, KEY_A], PII_LOOKUP_KEY="lookup"):
        call_command("rotate_pii_key", batch_size=2, stdout=io.StringIO())
        rows = raw_rows(
            "SELECT recipient_encrypted, phone_encrypted, detail_encrypted FROM orders_order"
        )
        assert rows and all(value.startswith("kb:") for row in rows for value in row)
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_B], PII_LOOKUP_KEY="lookup"):
        reloaded = Order.objects.get(pk=order_id)
        assert (reloaded.recipient, reloaded.phone, reloaded.detail) == (
            "张三",
            "13912345678",
            "幸福路 1 号",
        )
