"""黑名单: members, devices, IPs, addresses and phones refused at the real-time checks.

Address and phone entries are stored as lookup hashes; the list shows the masked label.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.enums import ActionVariant

from mall.core.admin import ServiceModelAdmin, person_column, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import BlacklistEntry
from .common import member_text, when
from .lists import STATE_LABELS, StateFilter, state_column, state_of


class BlacklistForm(forms.ModelForm):
    value = forms.CharField(
        label=_("value"),
        max_length=300,
        required=False,
        help_text=_(
            "Device id, IP address, phone number, or an address as "
            "province|city|district|detail. Leave empty for a member account."
        ),
    )
    days = forms.IntegerField(
        label=_("days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("How long the entry holds; empty: until revoked."),
    )

    class Meta:
        model = BlacklistEntry
        fields = ["kind", "member", "reason"]


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(ServiceModelAdmin):
    list_selector = selectors.blacklist_list
    nav_group = "risk"
    nav_order = 40
    nav_icon = "block"
    ordering = ["-id"]
    list_filter = ["kind", StateFilter]
    list_select_related = ["member", "case", "created_by"]
    list_display = [
        "kind",
        "shown_as",
        "reason",
        "expires",
        state_column,
        "created_by_name",
        "created_at",
    ]
    fields = [
        "kind",
        "shown_as",
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
            kwargs["form"] = BlacklistForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["kind", "value", "member", "reason", "days"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_with_service(self, request, obj, form, change):
        from ..services.lists import blacklist_add

        data = form.cleaned_data
        return blacklist_add(
            actor=request.user,
            kind=data["kind"],
            value=data.get("value") or "",
            member=data.get("member"),
            reason=data["reason"],
            days=data.get("days"),
        )

    # no search and no ordering on the label: it is the masked form of a value (a
    # member entry's stored label is even its id), never a key to probe with
    @admin.display(description=_("shown as"))
    def shown_as(self, entry):
        # A member entry's stored label is its audit label ("member:12"): show the
        # member masked instead, as every risk page does.
        if entry.kind == BlacklistEntry.Kind.MEMBER and entry.member_id:
            return member_text(entry.member)
        return entry.label or "—"

    @admin.display(description=_("risk case"))
    def case_no(self, entry):
        return entry.case.case_no if entry.case_id else "—"

    @admin.display(description=_("expires at"), ordering="expires_at")
    def expires(self, entry):
        return when(entry.expires_at) if entry.expires_at else _("until revoked")

    @admin.display(description=_("state"))
    def state(self, entry):
        return STATE_LABELS[state_of(entry)]

    @workflow_action(
        description=_("Revoke"),
        permission=perms.CHANGE_BLACKLIST,
        when=lambda entry: entry.revoked_at is None,
        reason=True,
        confirm=_("Take this entry off the blacklist?"),
        success=_("The entry is revoked."),
        variant=ActionVariant.DANGER,
        icon="undo",
    )
    def revoke(self, request, entry, *, reason):
        from ..services.lists import blacklist_revoke

        blacklist_revoke(actor=request.user, entry=entry, reason=reason)
