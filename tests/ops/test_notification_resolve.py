"""Notices about a subject are resolved when it is decided: the inbox keeps only open work."""

from __future__ import annotations

import pytest

from mall.core.actors import system_actor
from mall.core.subjects import subject_key
from ops.models import AuditEntry, StaffNotification
from ops.selectors import notification_unread_count
from ops.services.notifications import notifications_resolve, staff_notify

pytestmark = pytest.mark.django_db


def test_deciding_a_subject_resolves_its_notices_in_every_inbox(make_staff):
    alice, bob = make_staff("alice"), make_staff("bob")
    subject, other = make_staff("subject"), make_staff("other")  # any saved model will do
    staff_notify(
        actor=system_actor(),
        recipients=[alice, bob],
        kind="k.review",
        title="Review",
        subject=subject,
    )
    staff_notify(
        actor=system_actor(), recipients=[alice], kind="k.review", title="Other", subject=other
    )
    assert notification_unread_count(actor=alice) == 2

    resolved = notifications_resolve(actor=alice, subject=subject)

    assert resolved == 2
    assert notification_unread_count(actor=alice) == 1
    assert notification_unread_count(actor=bob) == 0
    open_rows = StaffNotification.objects.filter(resolved_at__isnull=True)
    assert [row.subject_key for row in open_rows] == [subject_key(other)]
    entry = AuditEntry.objects.get(action="notification.resolve")
    assert entry.data["subject"] == subject_key(subject) and entry.data["count"] == 2


def test_resolving_again_or_by_another_kind_changes_nothing(make_staff):
    alice, subject = make_staff("alice"), make_staff("subject")
    staff_notify(actor=system_actor(), recipients=[alice], kind="k.a", title="A", subject=subject)

    assert notifications_resolve(actor=alice, subject=subject, kinds=["k.other"]) == 0
    assert notifications_resolve(actor=alice, subject=subject, kinds=["k.a"]) == 1
    assert notifications_resolve(actor=alice, subject=subject) == 0
    assert AuditEntry.objects.filter(action="notification.resolve").count() == 1


def test_a_notice_without_a_subject_is_never_resolved_by_someone_elses_decision(make_staff):
    alice, subject = make_staff("alice"), make_staff("subject")
    staff_notify(actor=system_actor(), recipients=[alice], kind="k.a", title="Loose")

    assert notifications_resolve(actor=alice, subject=subject) == 0
    assert notification_unread_count(actor=alice) == 1


def test_a_deduplicated_notice_comes_again_once_the_first_is_resolved(make_staff):
    alice, subject = make_staff("alice"), make_staff("subject")

    def notify() -> int:
        return staff_notify(
            actor=system_actor(),
            recipients=[alice],
            kind="k.low",
            title="Low stock",
            dedupe_key="low:1:2026-11-28",
            subject=subject,
        )

    assert notify() == 1
    assert notify() == 0, "while the first is open, the same key is not repeated"
    notifications_resolve(actor=alice, subject=subject)
    assert notify() == 1, "the alert came back after it cleared: news again"
    assert StaffNotification.objects.filter(recipient=alice, resolved_at__isnull=True).count() == 1
