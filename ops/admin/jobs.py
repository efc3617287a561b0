"""Job runs and my file jobs (exports and imports)."""

from django.apps import apps
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mall.core.admin import (
    ReadOnlyModelAdmin,
)
from mall.core.exceptions import ApplicationError
from mall.core.filejobs import file_job_download, file_job_get, file_job_list
from mall.core.labels import (
    task_label,
)
from mall.core.models import FileJob, JobRun
from mall.core.permissions import is_staff_user

from ._common import (
    LabelledValuesListFilter,
)


class JobNameListFilter(LabelledValuesListFilter):
    label = staticmethod(lambda name: task_label(name) or name)


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyModelAdmin):
    nav_group = "system"
    nav_order = 50
    nav_icon = "history"
    list_display = ("job_name", "status", "started_at", "finished_at")
    list_filter = ("status", ("name", JobNameListFilter))
    readonly_fields = [f.name for f in JobRun._meta.fields]
    estimated_count = True

    @admin.display(description=_("job"), ordering="name")
    def job_name(self, obj):
        return task_label(obj.name) or obj.name


@admin.register(FileJob)
class FileJobAdmin(ReadOnlyModelAdmin):
    """我的任务: the reader's own export and import jobs, with progress and their file.

    Every staff member sees this page and only their own jobs (``file_job_list``);
    a page with a job still queued or running reloads itself every few seconds.
    """

    # Personal: beside the workbench and my notifications.
    nav_group = "workbench"
    nav_order = 30
    nav_icon = "task"
    list_display = (
        "id",
        "kind",
        "subject",
        "status",
        "progress_bar",
        "rows",
        "created_at",
        "finished_at",
        "download_link",
    )
    list_display_links = ("id", "subject")
    list_filter = ("kind", "status")
    estimated_count = True  # grows without bound (a capped count of the reader's jobs)
    fields = (
        "kind",
        "subject",
        "status",
        "progress_bar",
        "rows",
        "error",
        "outcome",
        "download_link",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
    )
    readonly_fields = fields
    change_list_template = "admin/core/filejob/change_list.html"
    change_form_template = "admin/core/filejob/change_form.html"

    def get_queryset(self, request):
        return file_job_list(actor=request.user)

    def has_module_permission(self, request):
        return is_staff_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_user(request.user) and (
            obj is None or obj.requested_by_id == request.user.pk
        )

    @admin.display(description=_("data"))
    def subject(self, job: FileJob):
        label = job.parameters.get("model", "")
        try:
            name = apps.get_model(label)._meta.verbose_name_plural if label else job.name
        except (LookupError, ValueError):
            name = job.name
        file_name = job.parameters.get("file_name")
        return f"{name} ({file_name})" if file_name else str(name)

    @admin.display(description=_("progress"))
    def progress_bar(self, job: FileJob):
        return format_html(
            '<progress value="{}" max="100" style="width:10em">{} %</progress> {} %',
            job.progress,
            job.progress,
            job.progress,
        )

    @admin.display(description=_("rows"))
    def rows(self, job: FileJob):
        if job.rows_total is None:
            return job.rows_done
        return f"{job.rows_done} / {job.rows_total}"

    @admin.display(description=_("outcome"))
    def outcome(self, job: FileJob):
        result = job.result or {}
        lines = [f"{key}: {value}" for key, value in result.items() if key != "errors"]
        for item in result.get("errors", [])[:50]:
            lines.append(
                _("row %(row)s: %(errors)s")
                % {"row": item.get("row"), "errors": "; ".join(item.get("errors", []))}
            )
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) or "—"

    @admin.display(description=_("file"))
    def download_link(self, job: FileJob):
        if job.status in (FileJob.Status.QUEUED, FileJob.Status.RUNNING):
            return "—"
        if not job.result_file:
            return _("deleted") if job.expires_at else "—"
        url = reverse("admin:core_filejob_download", args=[job.pk])
        label = _("download the error report") if job.kind == "import" else _("download")
        return format_html('<a href="{}">{}</a>', url, label)

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="core_filejob_download",
            )
        ]
        return custom + super().get_urls()

    def download_view(self, request, pk):
        try:
            job = file_job_get(actor=request.user, pk=pk)
            handle, name = file_job_download(actor=request.user, job=job)
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise Http404(exc.message) from None
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:core_filejob_changelist"))
        return FileResponse(handle, as_attachment=True, filename=name)

    def changelist_view(self, request, extra_context=None):
        active = (FileJob.Status.QUEUED, FileJob.Status.RUNNING)
        running = file_job_list(actor=request.user).filter(status__in=active).exists()
        return super().changelist_view(
            request, {"refresh_seconds": 3 if running else None, **(extra_context or {})}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = file_job_list(actor=request.user).filter(pk=object_id).first()
        active = (FileJob.Status.QUEUED, FileJob.Status.RUNNING)
        refresh = 2 if job is not None and job.status in active else None
        return super().change_view(
            request, object_id, form_url, {"refresh_seconds": refresh, **(extra_context or {})}
        )


admin.site.empty_value_display = _("(none)")


# --- system parameters and change requests ------------------------------------------------
