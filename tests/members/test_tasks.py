"""Members jobs: the beat schedule entries and the expiry jobs recording their runs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mall.core.models import JobRun
from mall.core.schedule import collect_schedule, schedule_sync
from members.models import Coupon, PointsLot
from members.services import coupon_claim, coupon_template_create, points_earn
from members.tasks import coupons_expire_due_task, points_expire_due_task


def test_schedule_has_the_members_jobs_on_the_right_queues(db):
    schedule = collect_schedule()
    assert schedule["members: points expiry"]["cron"] == "0 1 * * *"
    assert schedule["members: notification delivery"]["cron"] == "* * * * *"
    assert schedule["members: notification delivery"]["queue"] == "realtime"
    assert "members: birthday benefits" in schedule
    assert "members: points expiry" in schedule_sync()


def test_expiry_jobs_expire_points_and_coupons_and_record_runs(member, superuser):
    points_earn(actor=member, member=member, reason="share", reference="S1", points=5)
    PointsLot.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    template = coupon_template_create(
        actor=superuser,
        name="包邮",
        kind="free_shipping",
        validity="days",
        valid_days=1,
        total_stock=5,
    )
    coupon = coupon_claim(actor=member, member=member, template=template)
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    assert points_expire_due_task.apply().get() == 1
    assert coupons_expire_due_task.apply().get() == 1
    assert points_expire_due_task.apply().get() == 0
    member.refresh_from_db()
    assert member.points_balance == 0
    runs = JobRun.objects.filter(name__startswith="members.", status="succeeded")
    assert runs.count() == 3


def test_expired_member_tokens_are_purged(member):
    from members.models import MemberToken
    from members.services import member_token_issue
    from members.tasks import member_tokens_purge_task

    member_token_issue(actor=member, member=member)
    member_token_issue(actor=member, member=member)
    MemberToken.objects.filter(pk=MemberToken.objects.order_by("pk").first().pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert member_tokens_purge_task.apply().get() == 1
    assert MemberToken.objects.filter(member=member).count() == 1
