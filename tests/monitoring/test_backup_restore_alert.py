"""The backup alert end to end: the backups app's metric through the ``ops.metrics`` hook
and the monitoring app's default rule — no verified restore for more than 8 days (or
none ever) fires once, notifies the on-call staff once, and clears when a restore check
passes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.backups.models import Backup, RestoreCheck
from ops.models import StaffNotification
from ops.monitoring.models import Alert, AlertRule
from ops.monitoring.services.alerts import alert_rules_install, alerts_evaluate

pytestmark = pytest.mark.django_db

RULE = "backup.last_verified_restore_age_hours"


def _passed_check(days_ago: float) -> RestoreCheck:
    finished = timezone.now() - timedelta(days=days_ago)
    backup = Backup.objects.create(  # the metric is the age of the verified backup
        kind=Backup.Kind.DAILY,
        status=Backup.Status.SUCCEEDED,
        trigger=Backup.Trigger.MANUAL,
        day=timezone.localdate(finished),
        engine="postgresql",
        database_path="daily/mall-daily.dump",
        started_at=finished - timedelta(minutes=10),
    )
    return RestoreCheck.objects.create(
        backup=backup,
        source="daily/mall-daily.dump",
        scratch_database="mall_restore_check",
        status=RestoreCheck.Status.PASSED,
        started_at=finished - timedelta(minutes=2),
        finished_at=finished,
    )


def _firing() -> list[Alert]:
    return list(Alert.objects.filter(rule__metric=RULE, status=Alert.Status.FIRING))


def test_no_verified_restore_for_eight_days_alerts_the_on_call_once_until_one_passes(
    make_staff,
):
    on_call = make_staff("on_call", perms=("monitoring.receive_alerts",))
    alert_rules_install(actor=system_actor())
    assert AlertRule.objects.filter(metric=RULE, is_enabled=True).exists()

    alerts_evaluate(actor=system_actor())  # never verified: fires
    assert len(_firing()) == 1
    notices = StaffNotification.objects.filter(recipient=on_call, resolved_at__isnull=True)
    assert notices.count() == 1

    _passed_check(days_ago=9)  # verified, but too long ago: still firing, no second notice
    alerts_evaluate(actor=system_actor())
    assert len(_firing()) == 1
    assert StaffNotification.objects.filter(recipient=on_call).count() == 1

    _passed_check(days_ago=1)  # a fresh verified restore clears it and its notice
    later = timezone.now() + timedelta(minutes=10)  # clear for longer than the 5 minutes
    alerts_evaluate(actor=system_actor(), now=later)
    assert _firing() == []
    assert not StaffNotification.objects.filter(recipient=on_call, resolved_at__isnull=True)
