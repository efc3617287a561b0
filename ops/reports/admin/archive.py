"""数据报表 → 报表归档: the archived daily, weekly and monthly reports, read-only.

The list and the download read through ``selectors.report_archive_list``: only readers
holding ``reports.view_report`` whose data scope covers every order (scope "all") see
the reports at all (they are mall-wide figures). Downloading goes through
``report_download`` (audited ``report.download``). The dashboard page hangs on this
admin's URLs (``admin/dashboard.py``).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from mall.core.admin import ReadOnlyModelAdmin
from mall.core.exceptions import ApplicationError
from mall.core.exports import XLSX_CONTENT_TYPE

from .. import selectors
from ..models import ReportArchive
from ..services import report_download
from . import dashboard


@admin.register(ReportArchive)
class ReportArchiveAdmin(ReadOnlyModelAdmin):
    nav_group = "reports"
    nav_order = 20
    nav_icon = "folder_open"
    list_selector = selectors.report_archive_list
    list_display = ["kind", "period_start", "period_end", "generated_at", "download_link"]
    list_filter = ["kind"]
    date_hierarchy = None
    ordering = ["-period_start", "kind"]
    fields = ["kind", "period_start", "period_end", "generated_at", "file_name", "download_link"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return selectors.may_read_reports(actor=request.user)

    def has_module_permission(self, request):
        return selectors.may_read_reports(actor=request.user)

    @display(description=_("download"))
    def download_link(self, obj):
        url = reverse("admin:reports_reportarchive_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download (Excel)"))

    def get_urls(self):
        custom = [
            path(
                "dashboard/",
                self.admin_site.admin_view(lambda request: dashboard.dashboard_view(self, request)),
                name=dashboard.URL_NAME,
            ),
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="reports_reportarchive_download",
            ),
        ]
        return custom + super().get_urls()

    def download_view(self, request, object_id):
        """Send the report's file (the service checks and audits)."""
        try:
            archive = selectors.report_archive_get(actor=request.user, pk=object_id)
            handle, name = report_download(actor=request.user, archive=archive)
        except ApplicationError as error:
            if error.status_code == 404:
                raise Http404 from None
            if error.status_code == 403:
                raise PermissionDenied from None
            self.message_user(request, str(error.message), level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:reports_reportarchive_changelist"))
        return FileResponse(
            handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE
        )
