# ruff: noqa: F811, F403 - fixtures imported from the orders tests are parameters here
"""After-sales rules through the storefront API: ``refund_ratio`` and
``not_received_repeat`` (review: the request goes through and a case opens)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import AfterSale, Order
from risk.models import RiskCase, RiskEvent
from tests.orders.checkout_support import buyer  # noqa: F401 - fixture
from tests.orders.conftest import *

pytestmark = pytest.mark.django_db


def set_parameter(key: str, value) -> None:
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


@pytest.fixture
def completed(make_order, stocked_sku):
    """``make(member, n)``: n completed orders of 2 × 99.00 (paid 198.00 each)."""
    sku = stocked_sku(200)

    def make(member, n: int = 1):
        now = timezone.now()
        return [
            make_order(member, [(sku, 2)], status="completed", delivered_at=now, completed_at=now)
            for _n in range(n)
        ], sku

    return make


def request(client, order, sku, *, reason="quality", quantity=1, key="k-1"):
    return client.post(
        reverse("store-order-after-sales", args=[order.order_no]),
        {
            "type": "refund_only",
            "lines": [{"sku": sku.code, "quantity": quantity}],
            "reason": reason,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        HTTP_X_DEVICE_ID="dev-1",
    )


def refunded(order, amount="198.00") -> None:
    Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal(amount))


# --- refund_ratio -----------------------------------------------------------------------


def test_a_member_refunding_most_of_what_they_paid_opens_a_case(
    buyer, member_client, completed, django_capture_on_commit_callbacks
):
    member = buyer()
    orders, sku = completed(member, 3)
    refunded(orders[0])
    refunded(orders[1])

    with django_capture_on_commit_callbacks(execute=True):
        answer = request(member_client(member), orders[2], sku)

    assert answer.status_code == 201, answer.content  # a review lets the request through
    case = RiskCase.objects.get()
    assert (case.rule, case.kind, case.point) == (
        "refund_ratio",
        "refund_abuse",
        "after_sale.request",
    )
    assert (case.order_id, case.member_id) == (orders[2].pk, member.pk)
    # (198 + 198 + 99) / 594
    assert case.evidence["ratio"] == "0.8333" and case.evidence["paid_orders"] == 3
    assert case.evidence["requested_amount"] == "99.00"
    assert case.evidence["refunded_amount"] == "396.00"
    event = RiskEvent.objects.get()
    assert (event.point, event.decision, event.rule) == (
        "after_sale.request",
        "review",
        "refund_ratio",
    )


def test_an_occasional_refund_or_too_short_a_history_opens_nothing(
    buyer, member_client, completed, django_capture_on_commit_callbacks
):
    regular = buyer()
    orders, sku = completed(regular, 3)
    newcomer = buyer()
    (first,), _sku = completed(newcomer, 1)

    with django_capture_on_commit_callbacks(execute=True):
        honest = request(member_client(regular), orders[0], sku)  # 99 / 594
        # 198 of 198, but one paid order is too little history to judge
        fresh = request(member_client(newcomer), first, sku, quantity=2, key="k-2")

    assert (honest.status_code, fresh.status_code) == (201, 201)
    assert not RiskCase.objects.exists() and not RiskEvent.objects.exists()


def test_a_switched_off_refund_ratio_opens_nothing(
    buyer, member_client, completed, django_capture_on_commit_callbacks
):
    member = buyer()
    orders, sku = completed(member, 3)
    refunded(orders[0])
    refunded(orders[1])
    set_parameter("risk.refund_ratio_enabled", False)

    with django_capture_on_commit_callbacks(execute=True):
        answer = request(member_client(member), orders[2], sku)

    assert answer.status_code == 201
    assert not RiskCase.objects.exists() and not RiskEvent.objects.exists()


# --- not_received_repeat ------------------------------------------------------------------


def earlier_claim(order, *, reason=AfterSale.Reason.NOT_RECEIVED, days_ago=0) -> AfterSale:
    from orders.numbers import new_number

    claim = AfterSale.objects.create(
        case_no=new_number("SH"),
        order=order,
        member=order.member,
        region=order.region,
        channel=order.channel,
        kind=AfterSale.Kind.REFUND_ONLY,
        status=AfterSale.Status.COMPLETED,
        reason=reason,
        requested_amount=Decimal("99.00"),
    )
    if days_ago:
        AfterSale.objects.filter(pk=claim.pk).update(
            created_at=timezone.now() - timezone.timedelta(days=days_ago)
        )
    return claim


def test_a_third_not_received_claim_in_90_days_opens_a_case(
    buyer, member_client, completed, django_capture_on_commit_callbacks
):
    member = buyer()
    orders, sku = completed(member, 3)
    claims = [earlier_claim(orders[0]), earlier_claim(orders[1], days_ago=60)]

    with django_capture_on_commit_callbacks(execute=True):
        answer = request(member_client(member), orders[2], sku, reason="not_received")

    assert answer.status_code == 201, answer.content
    case = RiskCase.objects.get()
    assert (case.rule, case.kind, case.order_id) == (
        "not_received_repeat",
        "not_received",
        orders[2].pk,
    )
    assert case.evidence["earlier_claims"] == 2
    assert sorted(case.evidence["cases"]) == sorted(c.case_no for c in claims)
    assert RiskEvent.objects.get().rule == "not_received_repeat"


def test_one_earlier_claim_old_claims_or_another_reason_open_nothing(
    buyer, member_client, completed, django_capture_on_commit_callbacks
):
    member = buyer()
    orders, sku = completed(member, 4)
    earlier_claim(orders[0])
    earlier_claim(orders[1], days_ago=120)  # outside the 90 days
    earlier_claim(orders[1], reason=AfterSale.Reason.QUALITY)
    other = buyer()
    (theirs,), _sku = completed(other, 1)
    earlier_claim(theirs)  # somebody else's
    earlier_claim(theirs)

    with django_capture_on_commit_callbacks(execute=True):
        first = request(member_client(member), orders[2], sku, reason="not_received")
        # two earlier not-received claims, but this request is about quality
        second = request(member_client(other), theirs, sku, reason="quality", key="k-2")

    assert (first.status_code, second.status_code) == (201, 201)
    assert not RiskCase.objects.exists() and not RiskEvent.objects.exists()


def test_a_switched_off_not_received_rule_opens_nothing(
    buyer, member_client, completed, django_capture_on_commit_callbacks
):
    member = buyer()
    orders, sku = completed(member, 3)
    earlier_claim(orders[0])
    earlier_claim(orders[1])
    set_parameter("risk.not_received_repeat_enabled", False)

    with django_capture_on_commit_callbacks(execute=True):
        answer = request(member_client(member), orders[2], sku, reason="not_received")

    assert answer.status_code == 201
    assert not RiskCase.objects.exists() and not RiskEvent.objects.exists()
