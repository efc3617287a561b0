"""The monitoring demo: default rules, one closed incident with its report, one
announcement — and a second run adds nothing."""

from __future__ import annotations

import io

import pytest

from ops.monitoring import demo
from ops.monitoring.models import AlertRule, Announcement, Incident
from ops.monitoring.services.alerts import DEFAULT_RULES

pytestmark = pytest.mark.django_db


def _counts():
    return (AlertRule.objects.count(), Incident.objects.count(), Announcement.objects.count())


def test_the_demo_seeds_rules_a_reviewed_incident_and_an_announcement_once(superuser):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=superuser.pk).update(username="admin")
    demo.seed(stdout=io.StringIO())
    first = _counts()
    demo.seed(stdout=io.StringIO())
    assert _counts() == first == (len(DEFAULT_RULES), 1, 1)
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.CLOSED
    assert incident.report_submitted_at is not None and incident.report_cause
    assert incident.notes.count() >= 4
