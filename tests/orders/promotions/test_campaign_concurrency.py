# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""Many members ordering at once on PostgreSQL never spend a campaign past its budget.

20 members each order 2 × 100.00 (满199减20) through the API at the same moment, with a
budget of 150.00: exactly 7 orders take the discount (7 × 20 = 140; an eighth would pass
the budget); the others are either refused with 409 ``price_changed`` (priced while
there was room, beaten to the budget) or placed without the discount (priced after).
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from orders.models import Campaign, CampaignUsage, Order
from tests.conftest import requires_postgres
from tests.orders.checkout_support import (  # noqa: F401 - fixtures
    SHANGHAI,
    buyer,
    on_shelf_sku,
)
from tests.orders.promotions.campaign_support import (  # noqa: F401 - fixtures
    approver,
    make_campaign,
    marketer,
    tier,
)

BUYERS = 20
D = Decimal


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_never_spend_a_campaign_past_its_budget(
    buyer, on_shelf_sku, own_store, warehouses, make_campaign
):
    from members.services import member_token_issue

    item = on_shelf_sku(100, price="100.00")
    campaign = make_campaign(tiers=[tier("199", off="20")], budget="150.00")
    tokens = []
    for _n in range(BUYERS):
        member = buyer()
        tokens.append(member_token_issue(actor=member, member=member))
    barrier = threading.Barrier(BUYERS)
    answers: list[tuple[int, str, str]] = []
    crashes: list[str] = []
    lock = threading.Lock()

    def order(token: str, number: int):
        def work() -> None:
            try:
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
                body = {"address": SHANGHAI, "lines": [{"sku": item.code, "quantity": 2}]}
                barrier.wait(timeout=60)
                answer = client.post(
                    "/api/v1/store/orders/",
                    body,
                    format="json",
                    HTTP_IDEMPOTENCY_KEY=f"campaign-{number}",
                    HTTP_X_DEVICE_ID=f"device-{number}",
                )
                data = answer.json()
                code = data.get("error", {}).get("code", "") if answer.status_code >= 400 else ""
                number_of_order = data.get("order_no", "") if answer.status_code < 400 else ""
                with lock:
                    answers.append((answer.status_code, code, number_of_order))
            except Exception as exc:  # noqa: BLE001 - reported below
                with lock:
                    crashes.append(repr(exc))
            finally:
                connection.close()

        return work

    threads = [threading.Thread(target=order(t, n)) for n, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert crashes == []
    assert len(answers) == BUYERS
    assert not [a for a in answers if a[0] >= 500]
    assert {(status, code) for status, code, _no in answers} <= {(201, ""), (409, "price_changed")}
    campaign.refresh_from_db()
    assert campaign.spent_amount == D("140.00") <= campaign.budget_amount
    placed = Order.objects.filter(lines__sku=item).distinct()
    assert placed.count() == sum(1 for a in answers if a[0] == 201)
    discounted = placed.filter(promotion_discount_amount=D("20.00"))
    assert discounted.count() == 7
    assert (
        placed.exclude(promotion_discount_amount=D("20.00"))
        .filter(promotion_discount_amount=D("0.00"))
        .count()
        == placed.count() - 7
    )
    usages = CampaignUsage.objects.filter(campaign=campaign)
    assert sorted(usages.values_list("order_id", flat=True)) == sorted(
        discounted.values_list("pk", flat=True)
    )
    assert sum(u.discount_amount for u in usages) == campaign.spent_amount
    assert Campaign.objects.filter(pk=campaign.pk, spent_amount__lte=D("150.00")).exists()
