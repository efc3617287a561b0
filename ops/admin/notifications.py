"""The staff inbox (站内通知)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.admin import (
    ReadOnlyModelAdmin,
    workflow_action,
)
from mall.core.labels import (
    notification_kind_label,
)
from mall.core.permissions import is_staff_user

from ..models import (
    StaffNotification,
)
from ..selectors import (
    notification_list,
)
from ..services.notifications import notification_mark_read, notification_resolve


class NoticeStateFilter(admin.SimpleListFilter):
    """Open work by default (待处理); 全部 shows resolved notices too."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("all", _("All"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": pgettext_lazy("notice state", "Open"),
        }
        yield {
            "selected": self.value() == "all",
            "query_string": changelist.get_query_string({self.parameter_name: "all"}),
            "display": _("All"),
        }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(resolved_at__isnull=True)


class NoticeKindFilter(admin.SimpleListFilter):
    """The kinds in the reader's inbox, by their Chinese label."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = (
            model_admin.get_queryset(request).order_by("kind").values_list("kind", flat=True)
        ).distinct()
        return [(kind, notification_kind_label(kind)) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(StaffNotification)
class StaffNotificationAdmin(ReadOnlyModelAdmin):
    """My notifications: every active staff member's own inbox, nobody else's.

    Open work by default: a notice whose subject was decided (resolved) shows under
    "全部" only.
    """

    nav_group = "workbench"
    nav_order = 20
    nav_icon = "notifications"
    list_display = ("title", "kind_text", "created_at", "is_read", "state_text", "open_link")
    list_filter = (NoticeStateFilter, NoticeKindFilter, ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "body")
    actions = ["mark_read"]
    actions_detail = ["resolve_button"]
    estimated_count = True
    fields = ("title", "kind_text", "body", "open_link", "created_at", "read_at", "state_text")
    readonly_fields = fields

    def get_queryset(self, request):
        return notification_list(actor=request.user)

    def _is_staff(self, request) -> bool:
        return is_staff_user(request.user)

    def has_module_permission(self, request):
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None):
        return self._is_staff(request) and (obj is None or obj.recipient_id == request.user.pk)

    def has_mark_read_permission(self, request):
        return self._is_staff(request)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_text(self, obj):
        return notification_kind_label(obj.kind)

    @admin.display(description=_("read"), boolean=True)
    def is_read(self, obj):
        return obj.read_at is not None

    @admin.display(description=_("state"))
    def state_text(self, obj):
        if obj.resolved_at:
            return pgettext_lazy("notice state", "Done")
        return pgettext_lazy("notice state", "Open")

    @admin.display(description=_("link"))
    def open_link(self, obj):
        if not obj.link or not obj.link.startswith("/"):
            return ""
        return format_html('<a href="{}">{}</a>', obj.link, _("Open"))

    @admin.action(description=_("Mark as read"), permissions=["mark_read"])
    def mark_read(self, request, queryset):
        for notification in queryset:
            notification_mark_read(actor=request.user, notification=notification)

    @workflow_action(
        description=_("Mark as done"),
        when=lambda notice, user: notice.resolved_at is None and notice.recipient_id == user.pk,
        confirm=_("Mark this notice as done? It leaves your open work."),
        success=_("Notice marked as done."),
        icon="done_all",
    )
    def resolve_button(self, request, notice):
        notification_resolve(actor=request.user, notification=notice)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        notification = self.get_object(request, object_id)
        if notification is not None and response.status_code == 200:
            notification_mark_read(actor=request.user, notification=notification)
        return response
