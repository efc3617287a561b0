import pytest

from mall.core.actors import system_actor
from ops.exceptions import NotificationNotYours
from ops.models import AuditEntry, StaffNotification
from ops.selectors import notification_list, notification_unread_count
from ops.services.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    staff_notify,
)

pytestmark = pytest.mark.django_db


def test_notify_creates_one_row_per_recipient_and_audits(make_staff):
    alice, bob = make_staff("alice"), make_staff("bob")
    created = staff_notify(
        actor=system_actor(),
        recipients=[alice, bob.pk],
        kind="review.waiting",
        title="3 products wait",
        link="/admin/",
    )
    assert created == 2
    assert StaffNotification.objects.filter(kind="review.waiting").count() == 2
    entry = AuditEntry.objects.get(action="notification.send")
    assert entry.data["recipients"] == sorted([alice.pk, bob.pk])


def test_the_same_dedupe_key_never_notifies_a_recipient_twice(make_staff):
    alice, bob = make_staff("alice"), make_staff("bob")
    assert (
        staff_notify(
            actor=system_actor(), recipients=[alice], kind="k", title="t", dedupe_key="sku-1:low"
        )
        == 1
    )
    assert (
        staff_notify(
            actor=system_actor(),
            recipients=[alice, bob],
            kind="k",
            title="t",
            dedupe_key="sku-1:low",
        )
        == 1
    )
    assert (
        staff_notify(
            actor=system_actor(),
            recipients=[alice, bob],
            kind="k",
            title="t",
            dedupe_key="sku-1:low",
        )
        == 0
    )
    assert StaffNotification.objects.filter(dedupe_key="sku-1:low").count() == 2
    # without a key, each call notifies again
    assert staff_notify(actor=system_actor(), recipients=[alice], kind="k", title="t") == 1
    assert staff_notify(actor=system_actor(), recipients=[alice], kind="k", title="t") == 1


def test_inactive_staff_and_empty_lists_get_nothing(make_staff):
    leaver = make_staff("leaver")
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    assert staff_notify(actor=system_actor(), recipients=[leaver], kind="k", title="t") == 0
    assert staff_notify(actor=system_actor(), recipients=[], kind="k", title="t") == 0
    assert staff_notify(actor=system_actor(), recipients=[None], kind="k", title="t") == 0
    assert not StaffNotification.objects.exists()
    assert not AuditEntry.objects.filter(action="notification.send").exists()


def test_inbox_shows_only_own_notifications_whatever_the_scope(make_staff, superuser):
    alice = make_staff("alice")
    staff_notify(actor=system_actor(), recipients=[alice, superuser], kind="k", title="hello")
    assert [n.recipient_id for n in notification_list(actor=alice)] == [alice.pk]
    assert [n.recipient_id for n in notification_list(actor=superuser)] == [superuser.pk]


def test_mark_read_is_own_only_and_idempotent(make_staff):
    alice, bob = make_staff("alice"), make_staff("bob")
    staff_notify(actor=system_actor(), recipients=[alice, bob], kind="k", title="t")
    alices = StaffNotification.objects.get(recipient=alice)
    with pytest.raises(NotificationNotYours):
        notification_mark_read(actor=bob, notification=alices)
    assert notification_unread_count(actor=alice) == 1
    first = notification_mark_read(actor=alice, notification=alices).read_at
    assert first is not None
    assert notification_mark_read(actor=alice, notification=alices).read_at == first
    assert notification_unread_count(actor=alice) == 0
    assert notification_unread_count(actor=bob) == 1
    assert notifications_mark_all_read(actor=bob) == 1
    assert notifications_mark_all_read(actor=bob) == 0
