"""Staff API tokens."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mall.core.admin import (
    ReadOnlyModelAdmin,
)
from mall.core.models import StaffToken
from mall.core.permissions import is_staff_user


@admin.register(StaffToken)
class StaffTokenAdmin(ReadOnlyModelAdmin):
    """API tokens: one's own, or all in scope with ``core.manage_stafftoken``; no secrets.

    Only the prefix is shown (the key is never stored; its hash is not displayed).
    Revoking goes through ``mall.core.services.token_revoke``.
    """

    list_display = ("prefix", "name", "user", "created_at", "expires_at", "last_used_at", "live")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("=prefix", "^user__username")
    actions = ["revoke"]
    fields = ("prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def get_queryset(self, request):
        from mall.core.selectors import token_list

        return token_list(actor=request.user)

    def has_module_permission(self, request):
        return is_staff_user(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_user(request.user)

    def has_revoke_permission(self, request):
        return is_staff_user(request.user)

    @admin.display(description=_("live"), boolean=True)
    def live(self, obj):
        return obj.is_live

    @admin.action(description=_("Revoke selected API tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        from mall.core.services import token_revoke

        done = 0
        for token in queryset:
            if self.run_service(request, token_revoke, actor=request.user, token=token):
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d API token revoked.", "%(count)d API tokens revoked.", done)
                % {"count": done},
                level=messages.SUCCESS,
            )


# --- third-party admins: the kernel's lookup rule and no token secrets ---------------------
