"""Staff announcements: written by the ops lead or tech lead, shown to their audience
between their publish and expiry times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.models import AuditEntry
from ops.monitoring.exceptions import InvalidMonitoringInput, MonitoringPermissionDenied
from ops.monitoring.models import Announcement
from ops.monitoring.selectors import announcement_feed
from ops.monitoring.services.announcements import (
    announcement_create,
    announcement_update,
    announcement_withdraw,
)
from ops.workbench import workbench

pytestmark = pytest.mark.django_db


def _create(actor, title="维护通知", **kwargs):
    values = {
        "body": "周六凌晨维护",
        "is_for_all_staff": True,
        "publish_at": timezone.now() - timedelta(minutes=5),
    }
    values.update(kwargs)
    return announcement_create(actor=actor, title=title, **values)


def test_an_announcement_for_all_staff_shows_to_every_staff_member(ops_lead, cs_agent):
    announcement = _create(ops_lead)
    assert list(announcement_feed(actor=cs_agent)) == [announcement]
    assert AuditEntry.objects.filter(action="monitoring.announcement_create").count() == 1


def test_an_announcement_for_a_role_shows_only_to_its_holders(ops_lead, cs_agent, make_role_user):
    on_duty, role = make_role_user("duty_t", ())
    announcement = _create(ops_lead, title="值班安排", is_for_all_staff=False, roles=[role])
    assert list(announcement_feed(actor=on_duty)) == [announcement]
    assert list(announcement_feed(actor=cs_agent)) == []


def test_an_announcement_shows_only_between_publish_and_expiry(ops_lead, cs_agent):
    now = timezone.now()
    _create(ops_lead, title="未来", publish_at=now + timedelta(hours=1))
    _create(
        ops_lead,
        title="过期",
        publish_at=now - timedelta(days=2),
        expire_at=now - timedelta(days=1),
    )
    current = _create(ops_lead, title="当前", expire_at=now + timedelta(days=1))
    assert list(announcement_feed(actor=cs_agent)) == [current]


def test_a_withdrawn_announcement_is_no_longer_shown(ops_lead, cs_agent):
    announcement = _create(ops_lead)
    announcement_withdraw(actor=ops_lead, announcement=announcement)
    assert list(announcement_feed(actor=cs_agent)) == []
    assert AuditEntry.objects.filter(action="monitoring.announcement_withdraw").count() == 1


def test_an_announcement_needs_an_audience_and_an_expiry_after_publishing(ops_lead):
    now = timezone.now()
    with pytest.raises(InvalidMonitoringInput) as error:
        _create(ops_lead, is_for_all_staff=False, roles=[], expire_at=now - timedelta(days=1))
    assert set(error.value.fields) == {"roles", "expire_at"}
    assert not Announcement.objects.exists()


def test_staff_without_the_permission_cannot_write_announcements(cs_agent, ops_lead):
    with pytest.raises(MonitoringPermissionDenied):
        _create(cs_agent)
    announcement = _create(ops_lead)
    with pytest.raises(MonitoringPermissionDenied):
        announcement_update(
            actor=cs_agent,
            announcement=announcement,
            title="改",
            body="改",
            is_for_all_staff=True,
            publish_at=announcement.publish_at,
        )


def test_the_workbench_panel_lists_the_readers_announcements(ops_lead, cs_agent):
    _create(ops_lead, title="系统维护通知")
    panels = {panel["key"]: panel for panel in workbench(actor=cs_agent)["panels"]}
    rows = panels["monitoring.announcements"]["rows"]
    assert [row.label for row in rows] == ["系统维护通知"]
