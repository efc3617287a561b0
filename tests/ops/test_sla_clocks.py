from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.actors import system_actor
from ops.exceptions import OpsPermissionDenied, SlaClockClosed, SlaExtensionInvalid, SlaKindUnknown
from ops.models import AuditEntry, SlaClock, StaffNotification, SystemParameter
from ops.services.sla import (
    sla_clock_extend,
    sla_clock_restart,
    sla_clock_start,
    sla_clock_stop,
    sla_scan,
)
from rbac.models import SalesRegion

pytestmark = pytest.mark.django_db


@pytest.fixture
def subject():
    # Any saved model can be a clock's subject; a region row is always there.
    return SalesRegion.objects.get(code="south")


@pytest.fixture
def east():
    return SalesRegion.objects.get(code="east")


@pytest.fixture
def actor(make_staff):
    return make_staff("clock_actor")


def test_start_uses_the_kinds_parameter_for_the_deadline(subject, actor):
    start = timezone.now()
    clock = sla_clock_start(kind="order.review", subject=subject, actor=actor, started_at=start)
    assert clock.status == SlaClock.Status.OPEN
    assert clock.due_at - clock.started_at == timedelta(minutes=10)
    assert clock.subject_label == str(subject)
    assert AuditEntry.objects.filter(action="sla.start", object_id=str(clock.pk)).exists()


def test_start_reads_a_changed_parameter_value(subject, actor):
    from ops.parameters import forget_cached

    SystemParameter.objects.create(key="sla.order_review_minutes", value=25)
    forget_cached("sla.order_review_minutes")
    clock = sla_clock_start(kind="order.review", subject=subject, actor=actor)
    assert clock.due_at - clock.started_at == timedelta(minutes=25)


def test_shipping_during_a_promotion_uses_the_promotion_parameter(subject, actor):
    clock = sla_clock_start(kind="order.ship", subject=subject, actor=actor, promotion=True)
    assert clock.due_at - clock.started_at == timedelta(hours=48)


def test_a_named_variant_uses_its_own_parameter_and_an_unknown_one_is_refused(subject, actor):
    start = timezone.now()
    complaint = sla_clock_start(
        kind="tickets.first_response",
        subject=subject,
        actor=actor,
        started_at=start,
        variant="complaint",
    )
    assert complaint.due_at == start + timedelta(hours=2)  # sla.complaint_first_response_hours
    ordinary = sla_clock_start(
        kind="tickets.resolution", subject=subject, actor=actor, started_at=start
    )
    assert ordinary.due_at == start + timedelta(hours=48)  # sla.ticket_resolution_hours
    with pytest.raises(ValueError):
        sla_clock_start(kind="order.review", subject=subject, actor=actor, variant="complaint")


def test_starting_twice_returns_the_running_clock(subject, actor):
    first = sla_clock_start(kind="order.review", subject=subject, actor=actor)
    second = sla_clock_start(kind="order.review", subject=subject, actor=actor)
    assert first.pk == second.pk
    assert SlaClock.objects.count() == 1
    assert AuditEntry.objects.filter(action="sla.start").count() == 1


def test_different_kinds_run_side_by_side_on_one_subject(subject, actor):
    sla_clock_start(kind="order.review", subject=subject, actor=actor)
    sla_clock_start(kind="order.unpaid", subject=subject, actor=actor)
    assert SlaClock.objects.filter(closed_at__isnull=True).count() == 2


def test_unknown_kind_is_refused(subject, actor):
    with pytest.raises(SlaKindUnknown):
        sla_clock_start(kind="order.nonsense", subject=subject, actor=actor)


def test_stop_in_time_is_met(subject, actor):
    sla_clock_start(kind="order.review", subject=subject, actor=actor)
    clock = sla_clock_stop(kind="order.review", subject=subject, actor=actor)
    assert clock.status == SlaClock.Status.MET
    assert clock.closed_at is not None
    assert clock.closed_outcome == "met"


def test_stop_after_the_deadline_is_breached_even_when_done(subject, actor):
    start = timezone.now() - timedelta(minutes=30)
    sla_clock_start(kind="order.review", subject=subject, actor=actor, started_at=start)
    clock = sla_clock_stop(kind="order.review", subject=subject, actor=actor)
    assert clock.status == SlaClock.Status.BREACHED
    assert clock.closed_outcome == "met"
    assert clock.breached_at == clock.due_at


def test_cancel_before_the_deadline_is_cancelled(subject, actor):
    sla_clock_start(kind="order.review", subject=subject, actor=actor)
    clock = sla_clock_stop(kind="order.review", subject=subject, actor=actor, outcome="cancelled")
    assert clock.status == SlaClock.Status.CANCELLED


def test_stopping_without_a_running_clock_returns_none(subject, actor):
    assert sla_clock_stop(kind="order.review", subject=subject, actor=actor) is None
    sla_clock_start(kind="order.review", subject=subject, actor=actor)
    assert sla_clock_stop(kind="order.review", subject=subject, actor=actor) is not None
    assert sla_clock_stop(kind="order.review", subject=subject, actor=actor) is None


def test_a_stopped_clock_can_be_started_again_as_a_new_row(subject, actor):
    first = sla_clock_start(kind="order.review", subject=subject, actor=actor)
    sla_clock_stop(kind="order.review", subject=subject, actor=actor)
    second = sla_clock_start(kind="order.review", subject=subject, actor=actor)
    assert second.pk != first.pk


def test_restart_cancels_the_running_clock_and_keeps_its_region(subject, actor, east):
    first = sla_clock_start(kind="order.review", subject=subject, actor=actor, region=east)
    second = sla_clock_restart(kind="order.review", subject=subject, actor=actor)
    first.refresh_from_db()
    assert first.status == SlaClock.Status.CANCELLED
    assert second.pk != first.pk
    assert second.region_id == east.pk
    assert second.closed_at is None


def test_extend_moves_the_deadline_and_keeps_the_reason(subject, make_staff):
    ops = make_staff("extender", perms=("ops.extend_slaclock",))
    clock = sla_clock_start(kind="order.review", subject=subject, actor=ops)
    due = clock.due_at
    clock = sla_clock_extend(actor=ops, clock=clock, minutes=30, reason="customer asked to wait")
    assert clock.due_at == due + timedelta(minutes=30)
    assert clock.extended_minutes == 30
    extension = clock.extensions.get()
    assert extension.reason == "customer asked to wait"
    assert extension.previous_due_at == due
    entry = AuditEntry.objects.get(action="sla.extend")
    assert entry.data["reason"] == "customer asked to wait"


def test_extend_needs_permission_reason_and_sane_minutes(subject, make_staff):
    ops = make_staff("extender", perms=("ops.extend_slaclock",))
    plain = make_staff("plain")
    clock = sla_clock_start(kind="order.review", subject=subject, actor=ops)
    with pytest.raises(OpsPermissionDenied):
        sla_clock_extend(actor=plain, clock=clock, minutes=5, reason="x")
    with pytest.raises(SlaExtensionInvalid) as error:
        sla_clock_extend(actor=ops, clock=clock, minutes=5, reason="   ")
    assert "reason" in error.value.fields
    for minutes in (0, -5, 10**9, "5", True):
        with pytest.raises(SlaExtensionInvalid):
            sla_clock_extend(actor=ops, clock=clock, minutes=minutes, reason="ok")
    clock.refresh_from_db()
    assert clock.extended_minutes == 0
    sla_clock_stop(kind="order.review", subject=subject, actor=ops)
    with pytest.raises(SlaClockClosed):
        sla_clock_extend(actor=ops, clock=clock, minutes=5, reason="too late")


def test_scan_marks_overdue_clocks_breached_and_escalates_once(subject, east, make_staff):
    owner = make_staff("clock_owner")
    make_staff("lead", perms=("ops.receive_sla_escalation",), superuser=True)
    start = timezone.now() - timedelta(minutes=11)
    overdue = sla_clock_start(
        kind="order.review", subject=subject, actor=owner, started_at=start, owner=owner
    )
    in_time = sla_clock_start(kind="order.review", subject=east, actor=owner)

    report = sla_scan(actor=system_actor())
    assert (report.breached, report.escalated) == (1, 1)
    overdue.refresh_from_db()
    in_time.refresh_from_db()
    assert overdue.status == SlaClock.Status.BREACHED
    assert overdue.escalated_at is not None
    assert in_time.status == SlaClock.Status.OPEN
    assert set(StaffNotification.objects.values_list("recipient__username", flat=True)) == {
        "clock_owner",
        "lead",
    }

    again = sla_scan(actor=system_actor())
    assert (again.breached, again.escalated, again.notified) == (0, 0, 0)
    assert StaffNotification.objects.count() == 2
    assert AuditEntry.objects.filter(action="sla.escalate").count() == 1


def test_stopping_a_breached_clock_resolves_its_breach_notices(subject, make_staff):
    owner = make_staff("clock_owner")
    start = timezone.now() - timedelta(minutes=11)
    sla_clock_start(
        kind="order.review", subject=subject, actor=owner, started_at=start, owner=owner
    )
    sla_scan(actor=system_actor())
    notice = StaffNotification.objects.get(recipient=owner, kind="sla.breached")
    assert notice.resolved_at is None

    sla_clock_stop(kind="order.review", subject=subject, actor=owner)

    notice.refresh_from_db()
    assert notice.resolved_at is not None
    assert AuditEntry.objects.filter(action="notification.resolve").count() == 1


def test_extending_a_breached_clock_past_now_resolves_its_breach_notice(subject, make_staff):
    owner = make_staff("clock_owner")
    lead = make_staff("lead", superuser=True)
    start = timezone.now() - timedelta(minutes=11)
    clock = sla_clock_start(
        kind="order.review", subject=subject, actor=owner, started_at=start, owner=owner
    )
    sla_scan(actor=system_actor())
    assert StaffNotification.objects.filter(resolved_at__isnull=True).count() == 1

    sla_clock_extend(actor=lead, clock=clock, minutes=60, reason="客户改约时间")

    assert StaffNotification.objects.filter(resolved_at__isnull=True).count() == 0


def test_extending_a_breached_clock_reopens_it_and_a_new_breach_escalates_again(
    subject, make_staff
):
    owner = make_staff("clock_owner", perms=("ops.extend_slaclock",))
    start = timezone.now() - timedelta(minutes=11)
    clock = sla_clock_start(
        kind="order.review", subject=subject, actor=owner, started_at=start, owner=owner
    )
    sla_scan(actor=system_actor())
    clock = sla_clock_extend(actor=owner, clock=clock, minutes=10, reason="waiting for stock")
    assert clock.status == SlaClock.Status.OPEN
    assert clock.escalated_at is None
    assert clock.extensions.get().previous_status == SlaClock.Status.BREACHED
    assert sla_scan(actor=system_actor()).escalated == 0

    later = timezone.now() + timedelta(minutes=15)
    report = sla_scan(actor=system_actor(), now=later)
    assert (report.breached, report.escalated) == (1, 1)
    assert StaffNotification.objects.filter(recipient=owner).count() == 2


def test_a_clock_closed_late_before_the_scan_is_not_escalated(subject, actor):
    start = timezone.now() - timedelta(minutes=30)
    sla_clock_start(kind="order.review", subject=subject, actor=actor, started_at=start)
    sla_clock_stop(kind="order.review", subject=subject, actor=actor)
    assert sla_scan(actor=system_actor()).escalated == 0
    assert not StaffNotification.objects.exists()


def test_escalation_skips_staff_who_cannot_see_the_clock(subject, make_staff):
    # Without a data scope covering the clock, the permission alone is not enough.
    make_staff("outsider", perms=("ops.receive_sla_escalation",))
    actor = make_staff("starter")
    start = timezone.now() - timedelta(minutes=11)
    sla_clock_start(kind="order.review", subject=subject, actor=actor, started_at=start)
    report = sla_scan(actor=system_actor())
    assert report.escalated == 1
    assert not StaffNotification.objects.filter(recipient__username="outsider").exists()


def test_the_per_minute_task_scans_records_its_run_and_is_scheduled(subject, actor):
    from mall.core.models import JobRun
    from mall.core.schedule import collect_schedule
    from ops.tasks import sla_scan_task

    start = timezone.now() - timedelta(minutes=11)
    sla_clock_start(kind="order.review", subject=subject, actor=actor, started_at=start)
    result = sla_scan_task.apply().get()
    assert result == {"breached": 1, "escalated": 1, "notified": 0}
    assert JobRun.objects.get(name="sla_scan").result == result
    entry = collect_schedule()["ops: SLA scan and escalation"]
    assert (entry["task"], entry["cron"], entry["queue"]) == (
        "ops.tasks.sla_scan_task",
        "* * * * *",
        "realtime",
    )
