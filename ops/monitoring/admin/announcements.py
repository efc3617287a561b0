"""公告: staff announcements, written by the ops lead or tech lead (saved by services)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from mall.core.admin import ServiceModelAdmin, person_column, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import Announcement
from .common import when


class AnnouncementForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ["title", "body", "is_for_all_staff", "roles", "publish_at", "expire_at"]


def _live(announcement) -> bool:
    now = timezone.now()
    return announcement.expire_at is None or announcement.expire_at > now


@admin.register(Announcement)
class AnnouncementAdmin(ServiceModelAdmin):
    list_selector = selectors.announcement_list
    form = AnnouncementForm
    nav_group = "system"
    nav_order = 64
    nav_icon = "campaign"
    ordering = ["-publish_at", "-id"]
    list_filter = ["is_for_all_staff"]
    list_select_related = ["created_by"]
    list_display = ["title", "audience", "published", "expires", "created_by_name"]
    fields = ["title", "body", "is_for_all_staff", "roles", "publish_at", "expire_at"]
    actions_detail = ["withdraw"]

    created_by_name = person_column("created_by", _("created by"))

    @admin.display(description=_("audience"))
    def audience(self, announcement):
        if announcement.is_for_all_staff:
            return _("all staff")
        return "、".join(str(role) for role in announcement.roles.all())

    @admin.display(description=_("publish at"), ordering="publish_at")
    def published(self, announcement):
        return when(announcement.publish_at)

    @admin.display(description=_("expire at"))
    def expires(self, announcement):
        return when(announcement.expire_at)

    def save_with_service(self, request, obj, form, change):
        from ..services.announcements import announcement_create, announcement_update

        data = form.cleaned_data
        values = {
            "title": data["title"],
            "body": data["body"],
            "is_for_all_staff": data["is_for_all_staff"],
            "roles": list(data.get("roles") or []),
            "publish_at": data["publish_at"],
            "expire_at": data.get("expire_at"),
        }
        if change:
            current = selectors.announcement_get(actor=request.user, pk=obj.pk)
            return announcement_update(actor=request.user, announcement=current, **values)
        return announcement_create(actor=request.user, **values)

    @workflow_action(
        description=_("Withdraw"),
        permission=perms.CHANGE_ANNOUNCEMENT,
        when=_live,
        confirm=_("Stop showing this announcement now?"),
        success=_("The announcement was withdrawn."),
        variant=ActionVariant.DANGER,
        icon="cancel",
    )
    def withdraw(self, request, announcement):
        from ..services.announcements import announcement_withdraw

        announcement_withdraw(actor=request.user, announcement=announcement)
