"""Admin pages (tech lead: lists, read-only pages, buttons; cs_agent: forbidden), the staff
API, the monitoring hook and the workbench tile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mall.core.hooks import providers
from ops.backups.models import Backup, RestoreCheck

pytestmark = pytest.mark.django_db


def _backup(**fields) -> Backup:
    values = {
        "kind": Backup.Kind.DAILY,
        "status": Backup.Status.SUCCEEDED,
        "engine": "sqlite",
        "database_path": "/nowhere/mall-daily.sqlite3",
        "sha256": "ab" * 32,
        "size_bytes": 3 * 1024 * 1024,
        "started_at": timezone.now(),
        "duration_seconds": 2.5,
        "table_counts": {"auth_user": 3},
    }
    values.update(fields)
    values.setdefault("day", timezone.localdate(values["started_at"]))
    return Backup.objects.create(**values)


def _check(backup: Backup, *, hours_ago: float, passed: bool = True) -> RestoreCheck:
    finished = timezone.now() - timedelta(hours=hours_ago)
    return RestoreCheck.objects.create(
        backup=backup,
        source=backup.database_path,
        scratch_database="scratch",
        status=RestoreCheck.Status.PASSED if passed else RestoreCheck.Status.FAILED,
        started_at=finished - timedelta(seconds=5),
        finished_at=finished,
        duration_seconds=5.0,
        checks=[{"name": "stock_verify", "ok": passed, "detail": ""}],
        table_counts={"auth_user": {"expected": 3, "restored": 3}},
    )


def test_the_tech_lead_sees_the_backup_list_with_sizes_labels_and_buttons(
    admin_client_for, tech_lead
):
    backup = _backup()

    page = admin_client_for(tech_lead).get(reverse("admin:backups_backup_changelist"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "3.0 MB" in html or "3.0 MB" in html.replace("\xa0", " ")
    assert backup.sha256[:12] in html
    assert reverse("admin:backups_backup_backup_now") in html


def test_a_backup_page_is_read_only_with_the_verify_button(admin_client_for, tech_lead):
    backup = _backup()

    page = admin_client_for(tech_lead).get(reverse("admin:backups_backup_change", args=[backup.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert reverse("admin:backups_backup_verify_this", args=[backup.pk]) in html


def test_the_restore_check_pages_render_for_the_tech_lead(admin_client_for, tech_lead):
    check = _check(_backup(), hours_ago=1)
    client = admin_client_for(tech_lead)

    listing = client.get(reverse("admin:backups_restorecheck_changelist"))
    detail = client.get(reverse("admin:backups_restorecheck_change", args=[check.pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "stock_verify" not in detail.content.decode()  # check names shown in words


def test_backup_pages_are_forbidden_to_a_customer_service_agent(admin_client_for, cs_agent):
    backup = _backup()
    client = admin_client_for(cs_agent)

    assert client.get(reverse("admin:backups_backup_changelist")).status_code == 403
    assert client.get(reverse("admin:backups_backup_change", args=[backup.pk])).status_code in (
        403,
        302,
    )
    assert client.get(reverse("admin:backups_restorecheck_changelist")).status_code == 403
    assert client.post(reverse("admin:backups_backup_backup_now")).status_code == 403


def test_a_viewer_without_the_run_permission_cannot_press_backup_now(admin_client_for, make_staff):
    viewer = make_staff("viewer", perms=("backups.view_backup",))

    response = admin_client_for(viewer).post(reverse("admin:backups_backup_backup_now"))

    assert response.status_code == 403
    assert not Backup.objects.exists()


def test_the_api_lists_backups_for_the_tech_lead_and_filters_by_kind(staff_client, tech_lead):
    _backup()
    _backup(kind=Backup.Kind.FULL)
    client = staff_client(tech_lead)

    everything = client.get("/api/v1/backups/", {"kind": ""})
    fulls = client.get("/api/v1/backups/", {"kind": "full"})
    bad = client.get("/api/v1/backups/", {"kind": "weekly"})

    assert everything.status_code == 200 and len(everything.json()["results"]) == 2
    assert [row["kind"] for row in fulls.json()["results"]] == ["full"]
    assert bad.status_code == 400


def test_the_api_answers_404_for_a_missing_or_malformed_backup(staff_client, tech_lead):
    client = staff_client(tech_lead)

    missing = client.get("/api/v1/backups/999999/")
    malformed = client.get("/api/v1/backups/abc/")

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert malformed.status_code == 404


def test_the_api_is_forbidden_without_the_view_permission(staff_client, cs_agent):
    assert staff_client(cs_agent).get("/api/v1/backups/").status_code == 403
    assert staff_client(cs_agent).get("/api/v1/backups/restore-checks/").status_code == 403


def test_the_metric_is_the_age_in_hours_of_the_newest_backup_with_a_passed_check():
    (metrics,) = [p for p in providers("ops.metrics") if p.__module__ == "ops.backups.apps"]
    verified = _backup(started_at=timezone.now() - timedelta(hours=30))
    newer = _backup(started_at=timezone.now() - timedelta(hours=5))

    never = metrics(now=timezone.now())
    _check(verified, hours_ago=1)
    _check(newer, hours_ago=2, passed=False)
    age = metrics(now=timezone.now())["backup.last_verified_restore_age_hours"]

    assert never == {"backup.last_verified_restore_age_hours": None}
    assert 29.9 < age < 30.1


def test_the_metric_ignores_a_fresh_drill_of_an_old_backup_and_checks_of_bare_files():
    (metrics,) = [p for p in providers("ops.metrics") if p.__module__ == "ops.backups.apps"]
    old = _backup(started_at=timezone.now() - timedelta(days=20))
    _check(old, hours_ago=0.1)  # today's drill of a twenty-day-old backup
    RestoreCheck.objects.create(
        backup=None,
        source="mall-daily.sqlite3",
        scratch_database="scratch",
        status=RestoreCheck.Status.PASSED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )

    age = metrics(now=timezone.now())["backup.last_verified_restore_age_hours"]

    assert 20 * 24 - 0.1 < age < 20 * 24 + 0.1


def test_the_workbench_tile_is_red_after_eight_days_without_a_verified_restore(tech_lead):
    from ops.workbench import registered

    (tile,) = [item for item in registered() if item.key == "backups.last_verified_restore"]
    _check(_backup(started_at=timezone.now() - timedelta(days=9)), hours_ago=1)

    assert tile.count(tech_lead) == 216
    assert tile.tone(tech_lead) == "danger"
    _check(_backup(started_at=timezone.now() - timedelta(hours=1)), hours_ago=0.5)
    assert tile.tone(tech_lead) == "success"


def test_the_backup_list_shows_kinds_and_statuses_in_chinese(admin_client_for, tech_lead):
    """Needs the compiled translations of tr-backups.py (the lead compiles them)."""
    _backup()
    _backup(
        kind=Backup.Kind.FULL,
        status=Backup.Status.FAILED,
        day=timezone.localdate() - timedelta(days=1),
    )

    html = admin_client_for(tech_lead).get(reverse("admin:backups_backup_changelist")).content
    text = html.decode()

    for label in ("每日备份", "全量备份", "备份成功", "备份失败", "立即备份"):
        assert label in text
