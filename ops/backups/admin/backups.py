"""数据备份 and 恢复校验: the backup list, a backup's page, the restore checks."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.decorators import action

from mall.core.admin import (
    ReadOnlyModelAdmin,
    WorkflowDialogForm,
    person_column,
    status_display,
    workflow_action,
)

from .. import permissions as perms
from .. import selectors
from ..files import backup_file_name
from ..models import Backup, RestoreCheck

BACKUP_COLOURS = {
    Backup.Status.RUNNING: "info",
    Backup.Status.SUCCEEDED: "success",
    Backup.Status.FAILED: "danger",
    Backup.Status.PRUNED: "warning",
}
CHECK_COLOURS = {
    RestoreCheck.Status.RUNNING: "info",
    RestoreCheck.Status.PASSED: "success",
    RestoreCheck.Status.FAILED: "danger",
}


def check_labels() -> dict:
    return {
        "checksum": _("checksum of the backup files"),
        "table_counts": _("rows per table"),
        "stock_verify": _("stock against its ledger"),
        "verify_member_ledgers": _("member points and growth against their ledgers"),
        "balance_verify": _("member balances against their ledger"),
        "channel_ledger": _("sales channel balances against their ledger"),
        "audit_verify": _("audit chain against its anchors"),
        "media_archive": _("media archive readable"),
    }


def _passed_summary(name: str, data: dict):
    """A passed verification in words, with its numbers."""
    if name == "table_counts" and "tables" in data:
        return _("rows of all %(tables)d tables match") % {"tables": data["tables"]}
    if name == "audit_verify" and "entries" in data:
        text = _("%(entries)d entries, %(anchors)d anchors: the chain is intact") % {
            "entries": data["entries"],
            "anchors": data["anchors"],
        }
        if data.get("anchored_newer"):
            text = f"{text}{_('; anchors newer than the backup are expected')}"
        return text
    if name == "media_archive" and "entries" in data:
        return _("%(entries)d files read") % {"entries": data["entries"]}
    if name == "checksum":
        return _("the files match their recorded checksums")
    return _("everything matches")


def _failed_summary(name: str, data: dict):
    """A failed verification in words, with its numbers."""
    if name == "table_counts" and "differing" in data:
        return _("%(differing)d of %(tables)d tables differ") % data
    if name == "checksum":
        return _("a file is missing or does not match its checksum")
    if name == "channel_ledger" and "differing" in data:
        return _("%(differing)d sales channels differ from their ledger") % data
    return _("differences found (technical detail below)")


def check_summary(row: dict):
    """One verification of a restore check in Chinese (the stored detail is technical)."""
    data = row.get("data") or {}
    if row.get("ok"):
        return _passed_summary(row.get("name"), data)
    return _failed_summary(row.get("name"), data)


def _model_names() -> dict:
    names = {model._meta.db_table: model._meta.verbose_name for model in apps.get_models()}
    # django-guardian ships its models without a Chinese translation
    names.update(
        {
            "guardian_groupobjectpermission": _("object permission of a user group"),
            "guardian_userobjectpermission": _("object permission of a staff user"),
        }
    )
    return names


def _table_rows(counts: dict, value) -> list[tuple]:
    """Rows per model in words (a table no model owns is summed into "other tables")."""
    names = _model_names()
    rows, other = [], None
    for table, count in counts.items():
        if table in names:
            rows.append((str(names[table]), *value(count)))
        else:
            other = [
                sum(pair)
                for pair in zip(other or [0] * len(value(count)), value(count), strict=True)
            ]
    rows.sort()
    if other is not None:
        rows.append((str(_("other tables")), *other))
    return rows


def _seconds(value) -> str:
    if value is None:
        return "—"
    return _("%(seconds).1f s") % {"seconds": value}


def _done(model_admin, request, message, url: str):
    model_admin.message_user(request, message, level=messages.SUCCESS)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _enqueue_restore_check(request, backup_id: int | None) -> None:
    from ..tasks import restore_check_run_task

    transaction.on_commit(
        lambda: restore_check_run_task.delay(backup_id=backup_id, actor_id=request.user.pk)
    )


@admin.register(Backup)
class BackupAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.backup_list
    nav_group = "system"
    nav_order = 80
    nav_icon = "backup"
    ordering = ["-started_at", "-id"]
    list_filter = ["kind", "status", "trigger"]
    list_select_related = ["requested_by"]
    list_display = [
        "id",
        "kind",
        status_display("status", BACKUP_COLOURS),
        "size",
        "checksum_short",
        "offsite_copied",
        "duration",
        "started_at",
    ]
    fields = [
        "kind",
        "trigger",
        "status",
        "day",
        "engine_label",
        "size",
        "database_file",
        "sha256",
        "media_file",
        "media_sha256",
        "offsite_copied",
        "offsite_file",
        "started_at",
        "finished_at",
        "duration",
        "requested_by_name",
        "error",
        "audit_head_seq",
        "counts_table",
    ]
    readonly_fields = fields
    actions_list = ["backup_now", "verify_latest"]
    actions_detail = ["verify_this"]

    requested_by_name = person_column("requested_by", _("requested by"))

    @admin.display(description=_("size"), ordering="size_bytes")
    def size(self, backup):
        return filesizeformat(backup.size_bytes) if backup.size_bytes else "—"

    @admin.display(description=_("database engine"))
    def engine_label(self, backup):
        return {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(backup.engine, "—")

    @admin.display(description=_("database file"))
    def database_file(self, backup):
        return backup_file_name(backup.database_path) or "—"

    @admin.display(description=_("media archive"))
    def media_file(self, backup):
        return backup_file_name(backup.media_path) or "—"

    @admin.display(description=_("offsite copy"))
    def offsite_file(self, backup):
        return backup_file_name(backup.offsite_path) or "—"

    @admin.display(description=_("checksum"))
    def checksum_short(self, backup):
        return f"{backup.sha256[:12]}…" if backup.sha256 else "—"

    @admin.display(description=_("duration"), ordering="duration_seconds")
    def duration(self, backup):
        return _seconds(backup.duration_seconds)

    @admin.display(description=_("rows per table"))
    def counts_table(self, backup):
        counts = backup.table_counts or {}
        if not counts:
            return "—"
        rows = _table_rows(counts, lambda count: (int(count),))
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    def has_run_permission(self, request, obj=None):
        return request.user.has_perms([perms.VIEW_BACKUP, perms.RUN_BACKUP])

    @action(
        description=_("Back up now"),
        url_path="backup-now",
        permissions=["run"],
        icon="backup",
        dialog={
            "title": _("Back up now"),
            "description": _(
                "Back up the database now (an on-demand daily backup, copied offsite). "
                "It runs in the background; refresh the list to see it."
            ),
            "form_class": WorkflowDialogForm,
            "form_submit_text": _("Back up now"),
        },
    )
    def backup_now(self, request, form):
        from ..tasks import backup_run_task

        actor_id = request.user.pk
        transaction.on_commit(
            lambda: backup_run_task.delay(kind="daily", scheduled=False, actor_id=actor_id)
        )
        return _done(
            self,
            request,
            _("The backup has started."),
            reverse("admin:backups_backup_changelist"),
        )

    @action(
        description=_("Verify a restore"),
        url_path="verify-latest",
        permissions=["run"],
        icon="settings_backup_restore",
        dialog={
            "title": _("Verify a restore"),
            "description": _(
                "Restore the newest backup into a scratch database and verify it (row "
                "counts, stock, ledgers, audit chain). It runs in the background."
            ),
            "form_class": WorkflowDialogForm,
            "form_submit_text": _("Verify a restore"),
        },
    )
    def verify_latest(self, request, form):
        _enqueue_restore_check(request, None)
        return _done(
            self,
            request,
            _("The restore check has started."),
            reverse("admin:backups_restorecheck_changelist"),
        )

    @workflow_action(
        description=_("Verify a restore"),
        permission=perms.RUN_BACKUP,
        when=lambda backup: backup.status == Backup.Status.SUCCEEDED,
        confirm=_("Restore this backup into a scratch database and verify it?"),
        success=_("The restore check has started."),
        icon="settings_backup_restore",
    )
    def verify_this(self, request, backup):
        _enqueue_restore_check(request, backup.pk)


@admin.register(RestoreCheck)
class RestoreCheckAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.restore_check_list
    nav_group = "system"
    nav_order = 81
    nav_icon = "settings_backup_restore"
    ordering = ["-started_at", "-id"]
    list_filter = ["status"]
    list_select_related = ["backup", "requested_by"]
    list_display = [
        "id",
        "backup_link",
        status_display("status", CHECK_COLOURS),
        "duration",
        "started_at",
        "finished_at",
    ]
    fields = [
        "backup_link",
        "source_file",
        "status",
        "started_at",
        "finished_at",
        "duration",
        "requested_by_name",
        "error",
        "checks_table",
        "counts_table",
    ]
    readonly_fields = fields

    requested_by_name = person_column("requested_by", _("requested by"))

    @admin.display(description=_("backup file"))
    def source_file(self, check):
        return backup_file_name(check.source) or "—"

    @admin.display(description=_("backup"))
    def backup_link(self, check):
        if not check.backup_id:
            return "—"
        return format_html(
            '<a class="text-primary-600" href="{}">{}</a>',
            reverse("admin:backups_backup_change", args=[check.backup_id]),
            str(check.backup),
        )

    @admin.display(description=_("duration"), ordering="duration_seconds")
    def duration(self, check):
        return _seconds(check.duration_seconds)

    @admin.display(description=_("verifications"))
    def checks_table(self, check):
        labels = check_labels()
        if not check.checks:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td><td>{}{}</td></tr>",
                (
                    (
                        labels.get(row.get("name"), _("other verification")),
                        pgettext_lazy("verification result", "passed")
                        if row.get("ok")
                        else pgettext_lazy("verification result", "failed"),
                        check_summary(row),
                        ""
                        if row.get("ok") or not row.get("detail")
                        else format_html(
                            '<br><small class="text-font-subtle-light">{}</small>',
                            row["detail"],
                        ),
                    )
                    for row in check.checks
                ),
            ),
        )

    @admin.display(description=_("rows per table compared"))
    def counts_table(self, check):
        counts = check.table_counts or {}
        if not counts:
            return "—"
        return format_html(
            "<table><tr><th></th><th>{}</th><th>{}</th></tr>{}</table>",
            _("at backup"),
            _("restored"),
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                _table_rows(
                    counts,
                    lambda row: (int(row.get("expected") or 0), int(row.get("restored") or 0)),
                ),
            ),
        )
