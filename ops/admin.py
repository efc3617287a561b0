from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ReadOnlyModelAdmin
from mall.core.models import JobRun

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id", "ip")
    list_filter = ("action", "object_type", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_label", "object_id", "request_id", "action")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_auditentry")


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "status", "started_at", "finished_at")
    list_filter = ("status", "name")
    readonly_fields = [f.name for f in JobRun._meta.fields]


admin.site.empty_value_display = _("(none)")
