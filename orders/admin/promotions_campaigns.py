"""Admin of campaigns (满减活动): list, change page with tiers and scope, workflow buttons.

Every write goes through ``orders.promotions.campaigns``: the form and its tier rows are
saved together by ``campaign_create`` / ``campaign_update`` (a draft only; any other
state shows a read-only page), and the buttons call submit / approve / reject / cancel.
See docs/PROMOTIONS.md.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from catalog.admin_filters import category_path
from catalog.selectors import category_tree
from mall.core.admin import (
    ServiceModelAdmin,
    TabularInline,
    person_column,
    status_display,
    workflow_action,
)
from mall.core.scoping import sees_every_row

from ..models import Order
from ..models.promotions import ApprovalStatus, Campaign, CampaignTier
from ..permissions import ADD_CAMPAIGN, APPROVE_CAMPAIGN, CHANGE_CAMPAIGN, VIEW_CAMPAIGN
from ..promotions import campaigns as services

S = ApprovalStatus
STATUS_COLOURS = {
    S.DRAFT: "info",
    S.PENDING_APPROVAL: "warning",
    S.APPROVED: "primary",
    S.RUNNING: "success",
    S.CANCELLED: "danger",
}
CANCELLABLE = (S.DRAFT, S.PENDING_APPROVAL, S.APPROVED)


def _prices_orders(campaign) -> bool:
    """Running, or approved with its window started: stopped, never cancelled."""
    return campaign.status == S.RUNNING or (
        campaign.status == S.APPROVED and campaign.starts_at <= timezone.now()
    )


def _own_work(campaign, user) -> bool:
    """The creator, the last editor or the submitter: never approves nor rejects."""
    return user.pk in (
        campaign.created_by_id,
        campaign.last_edited_by_id,
        campaign.submitted_by_id,
    )


def _sees_national_figures(user) -> bool:
    """The budget used is summed over every region's orders: only staff who see every
    order read it ("—" for the others, as on the results pages)."""
    return sees_every_row(user, Order)


class CategoryPathChoices(forms.ModelMultipleChoiceField):
    """Categories shown by full path (家用电器 / 厨房电器 / 电饭煲), in tree order."""

    def label_from_instance(self, obj):
        return category_path(obj)


class CampaignTierInline(TabularInline):
    model = CampaignTier
    extra = 1
    fields = ["threshold_amount", "discount_amount", "discount_rate", "gift_sku", "gift_quantity"]
    autocomplete_fields = ["gift_sku"]
    verbose_name_plural = _("tiers (the highest reached applies)")

    def _editable(self, request, obj) -> bool:
        if obj is None:
            return request.user.has_perm(ADD_CAMPAIGN)
        return request.user.has_perm(CHANGE_CAMPAIGN) and obj.status == S.DRAFT

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW_CAMPAIGN)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)


@admin.register(Campaign)
class CampaignAdmin(ServiceModelAdmin):
    """满减 / 满折 / 满赠 campaigns: created by marketing, approved by someone else."""

    nav_group = "marketing"
    nav_order = 20
    nav_icon = "sell"
    list_display = [
        "name",
        "kind",
        "window",
        status_display("status", STATUS_COLOURS),
        "budget_used",
        "created_by_name",
        "approved_by_name",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["created_by", "approved_by"]
    search_fields = ["name"]
    search_help_text = _("Search by campaign name.")
    ordering = ["-starts_at", "-id"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "starts_at", "ends_at", "priority"]}),
        (_("Applies to"), {"fields": ["scope", "categories", "skus"]}),
        (_("Budget"), {"fields": ["budget_amount", "spent_amount", "other_cost_amount"]}),
        (
            _("Approval"),
            {
                "fields": [
                    "status",
                    "created_by_name",
                    "submitted_at",
                    "approved_by_name",
                    "approved_at",
                    "rejection_reason",
                    "opened_at",
                    "ended_at",
                    "cancel_reason",
                ]
            },
        ),
    ]
    readonly_fields = [
        "spent_amount",
        "spent_hidden",
        "status",
        "created_by_name",
        "submitted_at",
        "approved_by_name",
        "approved_at",
        "rejection_reason",
        "opened_at",
        "ended_at",
        "cancel_reason",
    ]
    autocomplete_fields = ["skus"]
    inlines = [CampaignTierInline]
    actions_detail = ["submit", "approve", "reject", "cancel", "stop"]

    created_by_name = person_column("created_by", _("created by"))
    approved_by_name = person_column("approved_by", _("approved by"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.fieldsets[:3] if obj is None else self.fieldsets  # add: no approval
        if _sees_national_figures(request.user):
            return fieldsets
        return [
            (
                title,
                {
                    **options,
                    "fields": [
                        "spent_hidden" if name == "spent_amount" else name
                        for name in options["fields"]
                    ],
                },
            )
            for title, options in fieldsets
        ]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not _sees_national_figures(request.user):
            columns = ["budget_used_hidden" if c == "budget_used" else c for c in columns]
        return columns

    @display(description=_("window"), ordering="starts_at")
    def window(self, obj):
        return f"{localize(obj.starts_at)} – {localize(obj.ends_at)}"

    @display(description=_("budget used"))
    def budget_used(self, obj):
        budget = obj.budget_amount or 0
        share = int(obj.spent_amount * 100 / budget) if budget else 0
        return format_html(
            '<div title="{pct}%" style="min-width:8rem">'
            '<div style="height:6px;background:#e5e7eb;border-radius:3px">'
            '<div style="height:6px;width:{pct}%;background:#6366f1;border-radius:3px">'
            "</div></div><span>{spent} / {budget}</span></div>",
            pct=min(share, 100),
            spent=f"{obj.spent_amount:.2f}",
            budget=f"{budget:.2f}",
        )

    @display(description=_("budget used"))
    def budget_used_hidden(self, obj):
        return "—"

    @display(description=_("budget used"))
    def spent_hidden(self, obj):
        return "—"

    def editable_in_state(self, obj) -> bool:
        return obj.status == S.DRAFT

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "categories":
            return CategoryPathChoices(
                queryset=category_tree(actor=request.user),
                required=False,
                label=db_field.verbose_name,
                widget=forms.SelectMultiple(attrs={"size": 12}),
                help_text=_("A category covers its sub-categories."),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # --- saving: the campaign and its tiers in one service call -------------------------

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        request._campaign_formsets = formsets
        return formsets, inline_instances

    @staticmethod
    def _tiers(formsets) -> list[dict]:
        tiers = []
        for formset in formsets:
            for tier_form in formset.forms:
                data = getattr(tier_form, "cleaned_data", None)
                if not data or data.get("DELETE"):
                    continue
                if data.get("threshold_amount") is None and not tier_form.has_changed():
                    continue
                tiers.append({name: data.get(name) for name in CampaignTierInline.fields})
        return tiers

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        tiers = self._tiers(getattr(request, "_campaign_formsets", []))
        values = {
            name: data[name]
            for name in (
                "name",
                "kind",
                "scope",
                "starts_at",
                "ends_at",
                "budget_amount",
                "priority",
                "other_cost_amount",
            )
        }
        categories = list(data.get("categories") or [])
        skus = list(data.get("skus") or [])
        if change:
            return services.campaign_update(
                actor=request.user,
                campaign=obj,
                tiers=tiers,
                categories=categories,
                skus=skus,
                **values,
            )
        return services.campaign_create(
            actor=request.user, tiers=tiers, categories=categories, skus=skus, **values
        )

    def save_related(self, request, form, formsets, change):
        """Tiers and the scope lists were saved by the service with the campaign."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # --- workflow buttons ------------------------------------------------------------------

    @workflow_action(
        description=_("Send for approval"),
        permission=CHANGE_CAMPAIGN,
        when=lambda obj, user: obj.status == S.DRAFT and obj.created_by_id == user.pk,
        confirm=_("Send this campaign for approval? It cannot be edited while it waits."),
        icon="send",
    )
    def submit(self, request, obj):
        services.campaign_submit(actor=request.user, campaign=obj)

    @workflow_action(
        description=_("Approve"),
        permission=APPROVE_CAMPAIGN,
        when=lambda obj, user: obj.status == S.PENDING_APPROVAL and not _own_work(obj, user),
        confirm=_("Approve this campaign? It runs from its start time."),
        icon="check_circle",
    )
    def approve(self, request, obj):
        services.campaign_approve(actor=request.user, campaign=obj)

    @workflow_action(
        description=_("Send back"),
        permission=APPROVE_CAMPAIGN,
        when=lambda obj, user: obj.status == S.PENDING_APPROVAL and not _own_work(obj, user),
        reason=True,
        icon="undo",
    )
    def reject(self, request, obj, *, reason):
        services.campaign_reject(actor=request.user, campaign=obj, reason=reason)

    @workflow_action(
        description=_("Cancel the campaign"),
        permission=(CHANGE_CAMPAIGN, APPROVE_CAMPAIGN),
        when=lambda obj: obj.status in CANCELLABLE and not _prices_orders(obj),
        reason=True,
        icon="cancel",
    )
    def cancel(self, request, obj, *, reason):
        services.campaign_cancel(actor=request.user, campaign=obj, reason=reason)

    @workflow_action(
        description=_("Stop the campaign now"),
        permission=CHANGE_CAMPAIGN,  # what campaign_stop requires
        when=_prices_orders,
        reason=True,
        icon="stop_circle",
    )
    def stop(self, request, obj, *, reason):
        services.campaign_stop(actor=request.user, campaign=obj, reason=reason)
