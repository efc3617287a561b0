"""The audit log (操作日志): read-only, every code in words."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mall.core.admin import (
    ReadOnlyModelAdmin,
)
from mall.core.labels import (
    action_label,
    object_type_label,
)

from ..models import (
    AuditEntry,
)
from ..parameters import (
    format_value,
)
from ._common import (
    ActionListFilter,
    ObjectTypeListFilter,
    _actor_label_text,
    _data_value,
    _field_namer,
    _field_valuer,
    _staff_actor_name,
)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    """The audit log: who did what, when, to which object — in words, not codes."""

    nav_group = "system"
    nav_order = 10
    nav_icon = "policy"
    list_display = (
        "seq",
        "at",
        "actor_name",
        "action_text",
        "object_type_text",
        "object_id",
        "ip",
        "sealed",
    )
    list_filter = (
        ("action", ActionListFilter),
        ("object_type", ObjectTypeListFilter),
        ("at", admin.DateFieldListFilter),
    )
    search_fields = ("=request_id", "=object_id", "^actor__username")
    ordering = ("-id",)  # newest first on the primary key, whatever seq becomes
    search_help_text = _("Search by a whole request id or object id, or the start of a user name.")
    estimated_count = True
    fields = (
        "at",
        "actor_name",
        "action_text",
        "object_type_text",
        "object_id",
        "changes",
        "ip",
        "request_id",
        "seq",
        "sealed_at",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_auditentry")

    def get_changelist_instance(self, request):
        """Name the page's actors with one query on the (small) user table: the page's
        own query never joins it (a million-row log joined to users is a scan)."""
        changelist = super().get_changelist_instance(request)
        ids = {entry.actor_id for entry in changelist.result_list if entry.actor_id}
        users = (
            get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name")
        )
        self._actor_names = {user.pk: _staff_actor_name(user) for user in users}
        return changelist

    @admin.display(description=_("actor"))
    def actor_name(self, obj):
        if obj.actor_id is None:
            return _actor_label_text(obj.actor_label)
        names = getattr(self, "_actor_names", {})
        if obj.actor_id in names:
            return names[obj.actor_id]
        return _staff_actor_name(obj.actor)

    @admin.display(description=_("action"), ordering="action")
    def action_text(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_type_text(self, obj):
        return object_type_label(obj.object_type)

    @admin.display(description=_("changes"))
    def changes(self, obj):
        """Before → after of each changed field, then the details, in words."""
        name = _field_namer(obj.object_type)
        value = _field_valuer(obj.object_type)
        before, after = obj.before or {}, obj.after or {}
        rows = [
            (name(key), value(key, before.get(key)), value(key, after.get(key)))
            for key in sorted(set(before) | set(after))
        ]
        details = [
            # "fields": a list of field names (a reveal, a partial update) — by label too.
            (
                name(key),
                format_value([name(str(f)) for f in value])
                if key == "fields" and isinstance(value, list)
                else _data_value(key, value),
            )
            for key, value in sorted((obj.data or {}).items())
        ]
        if not rows and not details:
            return "—"
        return format_html(
            "{}{}",
            format_html_join("", "<div>{}：{} → {}</div>", rows),
            format_html_join("", "<div>{}：{}</div>", details),
        )

    @admin.display(description=_("sealed"), boolean=True)
    def sealed(self, obj):
        """Chained by the sealer (seconds after commit); unsealed entries have no seq."""
        return obj.seq is not None
