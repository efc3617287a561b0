# ruff: noqa: F811 - fixtures imported from the support modules are parameters here
"""A risk freeze never costs a presale buyer the deposit: the missed-window job leaves
a frozen order alone, and releasing it gives the final window back the time the
freeze took (timeline + audit)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import AuditEntry
from orders.models import Order, OrderEvent
from orders.promotions.presale import presales_cancel_missed_due
from orders.services.review import order_freeze, order_unfreeze
from tests.orders.fulfilment_support import make_ops  # noqa: F401 - fixture
from tests.orders.promotions.presale_support import (  # noqa: F401 - fixtures
    buyer,
    deposit_paid,
    on_shelf_sku,
    open_final_window,
    pay,
    presale_order,
    presale_sku,
    staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(make_ops):
    return make_ops(
        "risk_presale", perms=("orders.view_order", "orders.freeze_order"), regions=None
    )


def _freeze(risk, order, *, began: datetime) -> None:
    """Freeze ``order`` and date the freeze step at ``began``."""
    order_freeze(actor=risk, order=order, reason="风控核查")
    OrderEvent.objects.filter(order=order, type="freeze").update(at=began)


def _extension(order) -> OrderEvent:
    return OrderEvent.objects.get(order=order, type="presale_window_extend")


def test_releasing_a_freeze_inside_the_window_extends_it_by_the_frozen_time(deposit_paid, risk):
    order, _deposit_no = deposit_paid()
    open_final_window(order)
    Order.objects.filter(pk=order.pk).update(  # open for a day already
        final_payment_starts_at=timezone.now() - timedelta(days=1)
    )
    order.refresh_from_db()
    ends = order.final_payment_ends_at
    began = timezone.now() - timedelta(hours=5)
    _freeze(risk, order, began=began)

    order_unfreeze(actor=risk, order=order, reason="核查无误")

    order.refresh_from_db()
    step = _extension(order)
    released = datetime.fromisoformat(step.data["released_at"])
    assert order.final_payment_ends_at == ends + (released - began)
    assert step.data["final_payment_ends_at_before"] == ends.isoformat()
    assert step.data["extended_seconds"] == int((released - began).total_seconds())
    entry = AuditEntry.objects.get(action="order.presale_window_extend", object_id=str(order.pk))
    assert entry.data["final_payment_ends_at"] == order.final_payment_ends_at.isoformat()
    # the step follows the release on the timeline
    types = list(
        OrderEvent.objects.filter(order=order).order_by("id").values_list("type", flat=True)
    )
    assert types[-2:] == ["unfreeze", "presale_window_extend"]


def test_a_window_that_ended_while_frozen_is_not_forfeited_and_reopens_on_release(
    deposit_paid, risk, member_client, api_client
):
    order, _deposit_no = deposit_paid()
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        final_payment_starts_at=now - timedelta(days=2),
        final_payment_ends_at=now - timedelta(hours=1),
    )
    # frozen three hours ago, two hours before the window ended
    _freeze(risk, order, began=now - timedelta(hours=3))

    assert presales_cancel_missed_due(actor=system_actor()) == 0  # never a frozen order
    order.refresh_from_db()
    assert order.status == Order.Status.DEPOSIT_PAID
    assert not OrderEvent.objects.filter(order=order, type="presale_forfeit").exists()

    order_unfreeze(actor=risk, order=order, reason="核查无误")

    order.refresh_from_db()
    released = datetime.fromisoformat(_extension(order).data["released_at"])
    assert order.final_payment_ends_at == released + timedelta(hours=2)  # the two hours left
    assert presales_cancel_missed_due(actor=system_actor()) == 0  # the window is open again
    pay(member_client(order.member), api_client, order)
    assert order.status == Order.Status.PENDING_REVIEW
    assert not OrderEvent.objects.filter(order=order, type="presale_forfeit").exists()


def test_a_freeze_wholly_before_the_window_changes_nothing(deposit_paid, risk):
    order, _deposit_no = deposit_paid()  # the window opens in three days
    ends = order.final_payment_ends_at
    _freeze(risk, order, began=timezone.now() - timedelta(hours=5))

    order_unfreeze(actor=risk, order=order, reason="核查无误")

    order.refresh_from_db()
    assert order.final_payment_ends_at == ends
    assert not OrderEvent.objects.filter(order=order, type="presale_window_extend").exists()
    assert not AuditEntry.objects.filter(action="order.presale_window_extend").exists()
