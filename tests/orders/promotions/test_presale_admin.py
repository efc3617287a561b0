# ruff: noqa: F811 - fixtures imported from presale_support are parameters here
"""The order page shows a presale's deposit, window and ship date, read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.services.placement import order_place
from tests.orders.promotions.presale_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    deposit_paid,
    on_shelf_sku,
    presale_order,
    presale_sku,
)

pytestmark = pytest.mark.django_db


def _page(client, order):
    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    return response


def _fields(response) -> set[str]:
    return {
        name
        for _title, options in response.context["adminform"].fieldsets
        for name in options["fields"]
    }


def test_the_order_page_shows_the_presale_section_of_a_presale_only(
    admin_client_for, superuser, deposit_paid, on_shelf_sku, buyer
):
    order, deposit_no = deposit_paid()
    ordinary = order_place(
        actor=buyer(), address=SHANGHAI, lines=[{"sku": on_shelf_sku(5).code, "quantity": 1}]
    )
    client = admin_client_for(superuser)

    response = _page(client, order)
    html = response.content.decode()
    presale = {
        "deposit_amount",
        "deposit_payment_no",
        "deposit_paid_at",
        "final_payment_starts_at",
        "final_payment_ends_at",
        "presale_ship_date",
    }
    assert presale <= _fields(response)
    assert deposit_no in html
    assert 'name="deposit_amount"' not in html  # read-only
    assert "deposit_paid" not in html.replace('value="deposit_paid"', "")  # the label shows

    assert not presale & _fields(_page(client, ordinary))
