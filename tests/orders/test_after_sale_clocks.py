# ruff: noqa: F811 - fixtures imported from after_sales_fixtures are parameters here
"""The after-sales SLA clocks: refund execution (24 h) and dispute plan (48 h) breach once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry
from ops.services.sla import sla_scan
from orders.services.after_sales import (
    after_sale_approve,
    after_sale_dispute,
    after_sale_plan,
    after_sale_refund_execute,
    after_sale_reject,
    after_sale_request,
)
from tests.orders.after_sales_fixtures import (  # noqa: F401
    buyer,
    clock,
    cs_agent,
    cs_north,
    finance,
    received_order,
    sku,
    staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(buyer, received_order):
    return after_sale_request(
        actor=buyer,
        order=received_order,
        kind="refund_only",
        lines=[(received_order.lines.get(), 1)],
        reason="quality",
    )


def _breaches(clock_row) -> int:
    return AuditEntry.objects.filter(action="sla.breach", object_id=str(clock_row.pk)).count()


def test_a_refund_left_unexecuted_for_24_hours_breaches_once_and_keeps_the_verdict(
    case, cs_agent, finance, clock
):
    after_sale_approve(actor=cs_agent, after_sale=case)
    running = clock("refund.execute", case)
    sla_scan(actor=system_actor(), now=timezone.now() + timedelta(hours=23))
    running.refresh_from_db()
    assert running.status == "open"
    late = timezone.now() + timedelta(hours=25)
    sla_scan(actor=system_actor(), now=late)
    sla_scan(actor=system_actor(), now=late)
    running.refresh_from_db()
    assert running.status == "breached" and _breaches(running) == 1
    after_sale_refund_execute(actor=finance, after_sale=case)
    running.refresh_from_db()
    assert running.status == "breached" and running.closed_at is not None


def test_a_refund_executed_in_time_meets_its_clock(case, cs_agent, finance, clock):
    after_sale_approve(actor=cs_agent, after_sale=case)
    after_sale_refund_execute(actor=finance, after_sale=case)
    done = clock("refund.execute", case)
    assert done.status == "met" and _breaches(done) == 0


def test_a_dispute_without_a_plan_for_48_hours_breaches_once(case, buyer, cs_agent, clock):
    after_sale_reject(actor=cs_agent, after_sale=case, reason="不符合条件")
    after_sale_dispute(actor=buyer, after_sale=case, reason="符合")
    running = clock("after_sale.dispute_plan", case)
    late = timezone.now() + timedelta(hours=49)
    sla_scan(actor=system_actor(), now=late)
    sla_scan(actor=system_actor(), now=late)
    running.refresh_from_db()
    assert running.status == "breached" and _breaches(running) == 1
    after_sale_plan(actor=cs_agent, after_sale=case, plan="同意", approve=True)
    running.refresh_from_db()
    assert running.status == "breached" and running.closed_at is not None
    assert clock("refund.execute", case).status == "open"
