"""账户风险标记: account risk marks; add one with the form, revoke with the button."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from mall.core.admin import ServiceModelAdmin, person_column, status_display, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import RiskMark
from .common import MARK_COLOURS, member_text, when
from .lists import StateFilter, state_column, state_of


class MarkForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("How long the mark holds; empty: until revoked."),
    )

    class Meta:
        model = RiskMark
        fields = ["member", "level", "reason"]


@admin.register(RiskMark)
class RiskMarkAdmin(ServiceModelAdmin):
    list_selector = selectors.mark_list
    nav_group = "risk"
    nav_order = 30
    nav_icon = "flag"
    ordering = ["-id"]
    list_filter = ["level", StateFilter]
    list_select_related = ["member", "case", "created_by"]
    list_display = [
        "member_masked",
        status_display("level", MARK_COLOURS),
        "reason",
        "case_no",
        "expires",
        state_column,
        "created_by_name",
        "created_at",
    ]
    fields = [
        "member_masked",
        "level",
        "reason",
        "case_no",
        "expires",
        "state",
        "created_by_name",
        "created_at",
        "revoked_at",
        "revoked_by_name",
        "revoke_reason",
    ]
    readonly_fields = fields
    autocomplete_fields = ["member"]
    actions_detail = ["revoke"]

    created_by_name = person_column("created_by", _("created by"))
    revoked_by_name = person_column("revoked_by", _("revoked by"))

    def editable_in_state(self, obj) -> bool:
        return False

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MarkForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["member", "level", "reason", "days"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_with_service(self, request, obj, form, change):
        from ..services.lists import mark_add

        data = form.cleaned_data
        return mark_add(
            actor=request.user,
            member=data["member"],
            level=data["level"],
            reason=data["reason"],
            days=data.get("days"),
        )

    @admin.display(description=_("member"))
    def member_masked(self, mark):
        return member_text(mark.member)

    @admin.display(description=_("risk case"))
    def case_no(self, mark):
        return mark.case.case_no if mark.case_id else "—"

    @admin.display(description=_("expires at"), ordering="expires_at")
    def expires(self, mark):
        return when(mark.expires_at) if mark.expires_at else _("until revoked")

    @admin.display(description=_("state"))
    def state(self, mark):
        from .lists import STATE_LABELS

        return STATE_LABELS[state_of(mark)]

    @workflow_action(
        description=_("Revoke"),
        permission=perms.CHANGE_MARK,
        when=lambda mark: mark.revoked_at is None,
        reason=True,
        confirm=_("Revoke this risk mark?"),
        success=_("The mark is revoked."),
        variant=ActionVariant.DANGER,
        icon="undo",
    )
    def revoke(self, request, mark, *, reason):
        from ..services.lists import mark_revoke

        mark_revoke(actor=request.user, mark=mark, reason=reason)
