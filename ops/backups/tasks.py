"""Celery tasks of the backups app (thin: each calls one service inside ``job_run``).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from mall.core.actors import system_actor
from mall.core.jobs import job_run


def _actor(actor_id: int | None):
    """The staff user who pressed the button (still active), else the system actor."""
    if actor_id:
        user = get_user_model().objects.filter(pk=actor_id, is_active=True).first()
        if user is not None:
            return user
    return system_actor()


def _needs_check(backup) -> bool:
    """A succeeded backup without a passed check, nor one running (started < 6 h ago)."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from .models import Backup, RestoreCheck

    if backup.status != Backup.Status.SUCCEEDED:
        return False
    recent = timezone.now() - timedelta(hours=6)
    return not backup.restore_checks.filter(
        Q(status=RestoreCheck.Status.PASSED)
        | Q(status=RestoreCheck.Status.RUNNING, started_at__gt=recent)
    ).exists()


@shared_task(bind=True, queue="heavy", acks_late=True)
def backup_run_task(
    self,
    kind: str = "",
    verify: bool | None = None,
    scheduled: bool = True,
    actor_id: int | None = None,
) -> dict:
    """The 02:00 backup: daily, or on Sunday full + a restore check of it.

    Idempotent when ``scheduled``: the day's backup of that kind is made once (a
    redelivered task returns the existing one). The restore check runs when the
    schedule asks for it and the succeeded backup has no passed (or running) check
    yet, so a task redelivered after its worker died mid-check still verifies it. On
    demand (``scheduled=False``, the admin button) it always backs up.
    """
    from .models import Backup
    from .services.backups import backup_run
    from .services.restore import restore_check_run

    with job_run("backups.backup_run", self.request.id) as run:
        actor = _actor(actor_id)
        before = Backup.objects.order_by("-id").values_list("pk", flat=True).first() or 0
        backup = backup_run(actor=actor, kind=kind or None, scheduled=scheduled)
        # "created" is information only; whether to verify does not depend on it
        run.result = {"backup_id": backup.pk, "kind": backup.kind, "created": backup.pk > before}
        wanted = verify or (verify is None and backup.kind == Backup.Kind.FULL)
        if wanted and _needs_check(backup):
            check = restore_check_run(actor=actor, backup=backup)
            run.result.update(restore_check_id=check.pk, restore_check=check.status)
    return run.result


@shared_task(bind=True, queue="heavy", acks_late=True)
def restore_check_run_task(self, backup_id: int | None = None, actor_id: int | None = None) -> dict:
    """Restore a backup (default: the newest) into the scratch database and verify it."""
    from .selectors import backup_get
    from .services.restore import restore_check_run

    with job_run("backups.restore_check_run", self.request.id) as run:
        actor = _actor(actor_id)
        backup = backup_get(actor=system_actor(), pk=backup_id) if backup_id else None
        check = restore_check_run(actor=actor, backup=backup)
        run.result = {"restore_check_id": check.pk, "status": check.status}
    return run.result


SCHEDULE: dict = {
    "backups: daily backup": {
        "task": "ops.backups.tasks.backup_run_task",
        "cron": "0 2 * * *",
        "queue": "heavy",
        "description": "Back up the database (Sunday: full backup with the media files, "
        "then restore it into a scratch database and verify it); prune by retention.",
    },
}
