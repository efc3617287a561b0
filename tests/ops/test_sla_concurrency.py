import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mall.core.actors import system_actor
from ops.models import SlaClock, StaffNotification
from ops.services.sla import sla_clock_start, sla_scan
from tests.conftest import requires_postgres


def _race(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_of_one_clock_leave_one_running_clock(make_staff):
    actor = make_staff("racer")
    subject = make_staff("subject")  # any saved row; regions are flushed by transactional tests
    clocks = _race(6, lambda: sla_clock_start(kind="order.review", subject=subject, actor=actor).pk)
    assert len(set(clocks)) == 1
    assert SlaClock.objects.filter(closed_at__isnull=True).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_escalate_each_breach_once(make_staff):
    owner = make_staff("owner")
    started = timezone.now() - timedelta(hours=1)
    for name in ("s1", "s2", "s3"):
        sla_clock_start(
            kind="order.review",
            subject=make_staff(name),
            actor=owner,
            owner=owner,
            started_at=started,
        )
    system = system_actor()
    reports = _race(4, lambda: sla_scan(actor=system))
    assert sum(report.escalated for report in reports) == 3
    assert StaffNotification.objects.filter(recipient=owner).count() == 3
    assert not SlaClock.objects.filter(escalated_at__isnull=True).exists()
