"""Audit entries are sealed after their transaction commits: by the on-commit request,
and by the per-minute safety job for whatever that left; audit_verify reports entries
left unsealed past AUDIT_UNSEALED_MAX_SECONDS."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from mall.core.audit import audit
from mall.core.models import JobRun
from ops.audit_chain import audit_chain_verify, audit_entries_seal
from ops.models import AuditChainHead, AuditEntry
from ops.tasks import SCHEDULE, audit_entries_seal_safety_task


@pytest.mark.django_db(transaction=True)
def test_an_entry_is_chained_only_after_its_transaction_commits_and_then_at_once(
    make_staff, settings
):
    actor = make_staff("writer")
    with transaction.atomic():
        entry = audit(actor=actor, action="test.write")
        entry.refresh_from_db()
        assert entry.seq is None  # no chain position (and no lock) inside the transaction
        assert not AuditChainHead.objects.filter(seq__gt=0).exists()

    entry.refresh_from_db()
    assert entry.seq == 1
    assert entry.key_id == "dev"
    assert (entry.sealed_at - entry.at).total_seconds() < settings.AUDIT_UNSEALED_MAX_SECONDS
    assert (entry.sealed_at - entry.at).total_seconds() < 5
    anchor = json.loads(settings.AUDIT_ANCHOR_PATH.read_text().splitlines()[-1])
    assert (anchor["kind"], anchor["seq"], anchor["hash"]) == ("seal", 1, entry.hash)
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_entry_is_never_chained(make_staff):
    actor = make_staff("writer")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit(actor=actor, action="test.rolled_back")
        raise RuntimeError("the business write fails")
    audit(actor=actor, action="test.kept")

    assert list(AuditEntry.objects.values_list("seq", "action")) == [(1, "test.kept")]
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_failing_seal_request_never_fails_the_business_write(make_staff, monkeypatch):
    from ops import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.audit_entries_seal_task, "delay", broker_down)
    actor = make_staff("writer")
    with transaction.atomic():
        entry = audit(actor=actor, action="test.write")

    entry.refresh_from_db()
    assert entry.seq is None  # committed, waiting for the safety job
    audit_entries_seal_safety_task.delay()
    entry.refresh_from_db()
    assert entry.seq == 1


def test_the_per_minute_safety_job_seals_what_the_on_commit_requests_left(db, superuser):
    # Inside a test's transaction nothing commits, so no on-commit request runs.
    for index in range(3):
        audit(actor=superuser, action="test.write", object_id=index)
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 3

    result = audit_entries_seal_safety_task.delay().get()

    assert result["sealed"] == 3
    assert (result["unsealed"], result["overdue"]) == (0, 0)
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert JobRun.objects.get(name="audit_entries_seal").status == JobRun.Status.SUCCEEDED
    assert audit_chain_verify().ok
    entry = SCHEDULE["ops: audit chain sealing (safety net)"]
    assert (entry["task"], entry["cron"]) == (
        "ops.tasks.audit_entries_seal_safety_task",
        "* * * * *",
    )


def test_entries_are_chained_in_batches_in_the_order_they_are_sealed(db, superuser):
    for index in range(7):
        audit(actor=superuser, action="test.write", object_id=index)

    from ops.audit_chain import _seal_batch

    assert _seal_batch(3)[0] == 3
    assert audit_entries_seal(batch_size=3) == 4
    sealed = list(AuditEntry.objects.order_by("seq").values_list("seq", "object_id"))
    assert sealed == [(n + 1, str(n)) for n in range(7)]
    assert AuditChainHead.objects.get(pk=1).seq == 7
    assert audit_chain_verify().ok


def test_audit_verify_reports_entries_left_unsealed_past_the_threshold(
    db, superuser, monkeypatch, settings
):
    settings.AUDIT_UNSEALED_MAX_SECONDS = 60
    late = timezone.now() - timedelta(seconds=90)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: late)
        audit(actor=superuser, action="test.stuck")
    audit(actor=superuser, action="test.fresh")

    report = audit_chain_verify()
    assert (report.ok, report.unsealed, report.overdue) == (True, 2, 1)
    assert report.oldest_unsealed_seconds >= 90
    with pytest.raises(CommandError, match="1 audit entries unsealed for more than 60 s"):
        call_command("audit_verify")

    audit_entries_seal()
    call_command("audit_verify")
    assert audit_chain_verify().overdue == 0
