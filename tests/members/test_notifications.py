"""Notification outbox: opt-outs per kind, delivery through adapters, retries, birthday job."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from members import notifications as adapters
from members.models import BirthdayBenefit, Coupon, Level, Notification, PointsEntry
from members.selectors import birthday_members_due
from members.services import (
    birthday_benefits_grant,
    coupon_template_create,
    member_set_opt_outs,
    notification_deliver,
    notification_enqueue,
)
from members.tasks import birthday_benefits_task, notifications_deliver_task


@pytest.fixture(autouse=True)
def _clean_adapters():
    adapters.reset_adapters()
    adapters.sent_messages.clear()
    yield
    adapters.reset_adapters()
    adapters.sent_messages.clear()


class FlakyAdapter(adapters.NotificationAdapter):
    channel = "sms"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def send(self, message):
        self.calls += 1
        if self.calls <= self.failures:
            raise adapters.DeliveryError("gateway timeout")
        return "sms-1"


def test_opted_out_kinds_are_skipped_and_others_delivered(member):
    member_set_opt_outs(actor=member, member=member, kinds=["marketing"])
    promo = notification_enqueue(
        actor=member, member=member, kind="marketing", channel="sms", payload={"t": 1}
    )
    order = notification_enqueue(
        actor=member, member=member, kind="order", channel="in_app", payload={"t": 2}
    )
    assert promo.status == "skipped"
    notifications_deliver_task.apply()
    order.refresh_from_db()
    assert order.status == "sent"
    assert order.provider_message_id.startswith("recorded-")
    assert [m.notification_id for m in adapters.sent_messages] == [order.pk]


def test_an_opt_out_after_enqueueing_still_wins(member):
    notification = notification_enqueue(
        actor=member, member=member, kind="benefit", channel="sms", payload={}
    )
    member_set_opt_outs(actor=member, member=member, kinds=["benefit"])
    assert notification_deliver(actor=None, notification_id=notification.pk).status == "skipped"
    assert adapters.sent_messages == []


def test_dedupe_key_enqueues_once(member):
    first = notification_enqueue(
        actor=member, member=member, kind="order", channel="sms", payload={}, dedupe_key="k"
    )
    second = notification_enqueue(
        actor=member, member=member, kind="order", channel="sms", payload={}, dedupe_key="k"
    )
    assert first.pk == second.pk


def test_failed_deliveries_retry_with_backoff_then_fail(member):
    flaky = FlakyAdapter(failures=100)
    adapters.register_adapter("sms", flaky)
    notification = notification_enqueue(
        actor=member, member=member, kind="order", channel="sms", payload={}
    )
    now = timezone.now()
    for attempt in range(1, 6):
        result = notification_deliver(actor=None, notification_id=notification.pk, now=now)
        assert result.attempts == attempt
        if attempt < 5:
            assert result.status == "pending"
            # Not due again before the backoff has passed.
            assert (
                notification_deliver(actor=None, notification_id=notification.pk, now=now) is None
            )
            now = result.next_attempt_at
    assert result.status == "failed"
    assert result.last_error == "gateway timeout"


def test_a_transient_failure_is_delivered_on_retry(member):
    adapters.register_adapter("sms", FlakyAdapter(failures=1))
    notification = notification_enqueue(
        actor=member, member=member, kind="order", channel="sms", payload={}
    )
    first = notification_deliver(actor=None, notification_id=notification.pk)
    assert first.status == "pending"
    second = notification_deliver(
        actor=None, notification_id=notification.pk, now=first.next_attempt_at
    )
    assert (second.status, second.attempts, second.provider_message_id) == ("sent", 2, "sms-1")


def test_birthday_benefits_are_granted_once_a_year(make_member, superuser):
    template = coupon_template_create(
        actor=superuser,
        name="生日券",
        kind="amount_off",
        discount_amount=Decimal("10.00"),
        validity="days",
        valid_days=30,
        total_stock=100,
        is_claimable=False,
    )
    Level.objects.filter(rank=1).update(birthday_coupon=template, birthday_points=88)
    today = timezone.localdate()
    member = make_member(birthday=today.replace(year=1990))
    make_member(birthday=(today + timedelta(days=1)).replace(year=1991))
    assert birthday_members_due(actor=system_actor(), today=today) == [member.pk]
    birthday_benefits_task.apply()
    birthday_benefits_task.apply()
    assert BirthdayBenefit.objects.filter(member=member, year=today.year).count() == 1
    assert Coupon.objects.filter(member=member, source="birthday").count() == 1
    assert PointsEntry.objects.get(member=member, reason="birthday").points == 88
    assert Notification.objects.filter(member=member, kind="benefit").count() == 1
    assert birthday_members_due(actor=system_actor(), today=today) == []


def test_leap_day_birthdays_are_celebrated_on_the_28th(make_member):
    member = make_member(birthday=date(2000, 2, 29))
    assert birthday_members_due(actor=system_actor(), today=date(2027, 2, 28)) == [member.pk]
    assert birthday_members_due(actor=system_actor(), today=date(2028, 2, 28)) == []
    assert (
        birthday_benefits_grant(actor=system_actor(), member_id=member.pk, today=date(2027, 3, 1))
        is None
    )


def test_frozen_members_get_no_birthday_benefits(make_member, superuser):
    from members.services import member_set_status

    today = timezone.localdate()
    member = make_member(birthday=date(1990, today.month, min(today.day, 28)))
    member_set_status(actor=superuser, member=member, status="frozen", reason="abuse")
    day = date(today.year, today.month, min(today.day, 28))
    assert birthday_benefits_grant(actor=system_actor(), member_id=member.pk, today=day) is None
    assert not BirthdayBenefit.objects.exists()


def test_each_delivery_outcome_is_an_audited_transition(member):
    from ops.models import AuditEntry

    adapters.register_adapter("sms", FlakyAdapter(failures=0))
    notification = notification_enqueue(
        actor=None, member=member, kind="order", channel="sms", payload={}
    )
    system = system_actor()
    delivered = notification_deliver(actor=system, notification_id=notification.pk)
    assert delivered.status == "sent"
    entry = AuditEntry.objects.get(action="notification.sent")
    assert entry.actor_id == system.pk
    assert (entry.before["status"], entry.after["status"]) == ("pending", "sent")
    # A sent message is final: delivering it again does nothing.
    assert notification_deliver(actor=system, notification_id=notification.pk) is None
