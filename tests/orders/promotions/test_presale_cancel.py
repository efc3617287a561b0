# ruff: noqa: F811 - fixtures imported from presale_support are parameters here
"""Presale cancellation: the deposit forfeited (buyer, missed final window) or refunded
(staff); a late final payment refunded; an after-sales refund of a presale split over
its two transactions (the final one first, then the deposit)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dispatch.models import Allocation
from mall.core.actors import system_actor
from members.models import Notification
from ops.models import AuditEntry
from orders.models import AfterSale, Order, OrderEvent
from orders.promotions.presale import presales_cancel_missed_due
from orders.services.after_sales import (
    after_sale_approve,
    after_sale_refund_execute,
    after_sale_request,
)
from orders.services.cancellation import order_cancel
from payments.models import PaymentTransaction, Refund
from tests.orders.checkout_support import notify_body, sandbox_post
from tests.orders.promotions.presale_support import (  # noqa: F401 - fixtures
    buyer,
    deposit_paid,
    fully_paid,
    on_shelf_sku,
    open_final_window,
    pay,
    presale_order,
    presale_sku,
    staff,
    start,
)
from tests.payments.refund_support import CS_PERMS, REFUND_FINANCE_PERMS

pytestmark = pytest.mark.django_db
D = Decimal


def _set_refund_on_staff_cancel(value: bool) -> None:
    from ops.models import SystemParameter
    from ops.parameters import forget_cached

    key = "promotions.presale_refund_deposit_on_staff_cancel"
    SystemParameter.objects.update_or_create(key=key, defaults={"value": value})
    forget_cached(key)


def _assert_forfeited(order) -> None:
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.paid_amount == D("100.00") and order.refunded_amount == D("0.00")
    assert not AfterSale.objects.filter(order=order).exists()  # nothing to give back
    assert not Refund.objects.filter(order=order).exists()
    forfeit = OrderEvent.objects.get(order=order, type="presale_forfeit")
    assert forfeit.data["deposit_amount"] == "100.00"
    assert AuditEntry.objects.filter(
        action="order.presale_forfeit", object_id=str(order.pk)
    ).exists()
    assert Allocation.objects.get(order_no=order.order_no).status == Allocation.Status.RELEASED


def test_the_buyer_cancelling_after_the_deposit_forfeits_it(deposit_paid):
    order, _deposit_no = deposit_paid()

    order_cancel(actor=order.member, order=order, reason="不想要了")

    _assert_forfeited(order)
    assert OrderEvent.objects.get(order=order, type="cancel").data == {
        "stage": "deposit_paid",
        "deposit_forfeited": True,
    }


def test_the_missed_final_window_cancels_forfeits_and_tells_the_member(deposit_paid):
    order, _deposit_no = deposit_paid()
    waiting, _no = deposit_paid()  # its window is still ahead: left alone
    Order.objects.filter(pk=order.pk).update(
        final_payment_starts_at=timezone.now() - timedelta(days=2),
        final_payment_ends_at=timezone.now() - timedelta(seconds=1),
    )

    assert presales_cancel_missed_due(actor=system_actor()) == 1
    assert presales_cancel_missed_due(actor=system_actor()) == 0  # done once

    _assert_forfeited(order)
    assert OrderEvent.objects.filter(order=order, type="presale_missed").exists()
    note = Notification.objects.get(member=order.member)
    assert (note.kind, note.channel) == ("order", "in_app")
    assert note.payload["order_no"] == order.order_no
    waiting.refresh_from_db()
    assert waiting.status == Order.Status.DEPOSIT_PAID


def test_the_job_task_runs_the_service_every_ten_minutes(deposit_paid):
    from mall.core.jobs import JobRun
    from orders.labels import TASK_LABELS
    from orders.promotions.tasks_presale import presales_cancel_missed_due_task
    from orders.tasks import SCHEDULE

    order, _deposit_no = deposit_paid()
    Order.objects.filter(pk=order.pk).update(
        final_payment_starts_at=timezone.now() - timedelta(days=2),
        final_payment_ends_at=timezone.now() - timedelta(seconds=1),
    )

    assert presales_cancel_missed_due_task.apply().get() == {"cancelled": 1}
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    run = JobRun.objects.get(name="orders.presales_cancel_missed_due")
    assert run.status == JobRun.Status.SUCCEEDED
    entry = SCHEDULE["orders: cancel presales past their final payment"]
    assert entry["task"] == presales_cancel_missed_due_task.name
    assert entry["cron"] == "*/10 * * * *"
    assert TASK_LABELS["orders: cancel presales past their final payment"]
    assert TASK_LABELS["orders.presales_cancel_missed_due"]


def test_staff_cancelling_refunds_the_deposit_through_its_transaction(
    deposit_paid, staff, django_capture_on_commit_callbacks
):
    order, deposit_no = deposit_paid()
    ops = staff("presale_ops", ("orders.view_order", "orders.cancel_order"))
    finance = staff("presale_finance", REFUND_FINANCE_PERMS)

    order_cancel(actor=ops, order=order, reason="缺货")

    order.refresh_from_db()
    case = AfterSale.objects.get(order=order)
    assert order.status == Order.Status.CANCELLED
    assert (case.status, case.approved_amount) == ("refunding", D("100.00"))
    assert not OrderEvent.objects.filter(order=order, type="presale_forfeit").exists()

    with django_capture_on_commit_callbacks(execute=True):
        after_sale_refund_execute(actor=finance, after_sale=case)

    refund = Refund.objects.get(order=order)
    case.refresh_from_db()
    assert refund.transaction.transaction_no == deposit_no
    assert (refund.amount, refund.status, refund.after_sale_case_no) == (
        D("100.00"),
        "succeeded",
        case.case_no,
    )
    assert case.status == "completed"


def test_staff_cancelling_forfeits_when_the_parameter_is_off(deposit_paid, staff):
    _set_refund_on_staff_cancel(False)
    order, _deposit_no = deposit_paid()
    ops = staff("presale_ops2", ("orders.view_order", "orders.cancel_order"))

    order_cancel(actor=ops, order=order)

    _assert_forfeited(order)


def test_an_unpaid_presale_cancels_like_any_unpaid_order(presale_order):
    order = presale_order()

    order_cancel(actor=order.member, order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.paid_amount == D("0.00")
    assert not OrderEvent.objects.filter(order=order, type="presale_forfeit").exists()
    assert OrderEvent.objects.get(order=order, type="cancel").data == {"stage": "unpaid"}


def test_a_final_payment_arriving_after_the_missed_window_is_refunded_the_deposit_kept(
    deposit_paid, member_client, api_client, django_capture_on_commit_callbacks
):
    order, deposit_no = deposit_paid()
    open_final_window(order)
    final_no = start(member_client(order.member), order).json()["transaction_no"]
    Order.objects.filter(pk=order.pk).update(final_payment_ends_at=timezone.now())
    assert presales_cancel_missed_due(actor=system_actor()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert sandbox_post(api_client, notify_body(final_no, "500.00")).status_code == 200

    order.refresh_from_db()
    final = PaymentTransaction.objects.get(transaction_no=final_no)
    deposit = PaymentTransaction.objects.get(transaction_no=deposit_no)
    assert order.status == Order.Status.CANCELLED
    assert (order.paid_amount, order.refunded_amount) == (D("600.00"), D("500.00"))
    assert (final.status, final.refunded_amount) == ("refunded", D("500.00"))
    assert (deposit.status, deposit.refunded_amount) == ("paid", D("0.00"))  # forfeited


def test_an_after_sales_refund_of_a_presale_takes_the_final_payment_first_then_the_deposit(
    fully_paid, staff, django_capture_on_commit_callbacks
):
    order, deposit_no, final_no = fully_paid()
    cs_agent = staff("presale_cs", CS_PERMS)
    finance = staff("presale_fin", REFUND_FINANCE_PERMS)
    case = after_sale_request(
        actor=order.member,
        order=order,
        kind="refund_only",
        lines=[(order.lines.get(), 2)],
        reason="quality",
        amount="550.00",  # all of it before shipping would be a cancellation
    )
    after_sale_approve(actor=cs_agent, after_sale=case)
    case.refresh_from_db()
    assert (case.status, case.approved_amount) == ("refunding", D("550.00"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        after_sale_refund_execute(actor=finance, after_sale=case)

    parts = {r.transaction.transaction_no: r for r in Refund.objects.filter(order=order)}
    assert {no: r.amount for no, r in parts.items()} == {
        final_no: D("500.00"),
        deposit_no: D("50.00"),
    }
    assert parts[final_no].after_sale_case_no == case.case_no
    assert parts[deposit_no].after_sale_case_no == f"{case.case_no}-D"

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    case.refresh_from_db()
    order.refresh_from_db()
    assert (case.status, case.refunded_amount) == ("completed", D("550.00"))
    assert order.refunded_amount == D("550.00")
    final = PaymentTransaction.objects.get(transaction_no=final_no)
    deposit = PaymentTransaction.objects.get(transaction_no=deposit_no)
    assert (final.status, final.refunded_amount) == ("refunded", D("500.00"))
    assert (deposit.status, deposit.refunded_amount) == ("partially_refunded", D("50.00"))


def test_staff_cancelling_a_fully_paid_presale_refunds_both_transactions(
    fully_paid, staff, django_capture_on_commit_callbacks
):
    order, deposit_no, final_no = fully_paid()
    ops = staff("presale_ops3", ("orders.view_order", "orders.cancel_order"))
    finance = staff("presale_fin3", REFUND_FINANCE_PERMS)

    order_cancel(actor=ops, order=order, reason="缺货")
    case = AfterSale.objects.get(order=order)
    assert case.approved_amount == D("600.00")

    with django_capture_on_commit_callbacks(execute=True):
        after_sale_refund_execute(actor=finance, after_sale=case)

    case.refresh_from_db()
    order.refresh_from_db()
    refunds = {r.transaction.transaction_no: r for r in Refund.objects.filter(order=order)}
    assert {no: (r.amount, r.status) for no, r in refunds.items()} == {
        final_no: (D("500.00"), "succeeded"),
        deposit_no: (D("100.00"), "succeeded"),
    }
    assert (case.status, order.refunded_amount) == ("completed", D("600.00"))
    assert not OrderEvent.objects.filter(order=order, type="presale_forfeit").exists()
