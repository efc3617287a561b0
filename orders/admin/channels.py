"""Admin screens of sales channels (电商渠道/店铺), the promotion calendar and freight templates.

Every screen reads through ``orders.selectors`` and writes through a service:
channels through ``orders.services.channels`` (switching off and on, and posting to the
balance ledger, are buttons), the promotion calendar through
``orders.services.shipping`` (``promotion_period_save`` / ``promotion_period_delete``),
freight templates and their region rules through ``orders.services.freight``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.decorators import display
from unfold.forms import BaseDialogForm

from mall.core.admin import (
    ServiceModelAdmin,
    TabularInline,
    person_column,
    status_display,
    workflow_action,
)
from mall.core.people import person_name

from .. import selectors
from ..models import ChannelLedgerEntry, FreightRule, FreightTemplate, PromotionPeriod, SalesChannel
from ..permissions import ADJUST_CHANNEL_BALANCE, CHANGE_CHANNEL
from ..services import channels as channel_services
from ..services import freight as freight_services

CHANNEL_STATUS_COLOURS = {
    SalesChannel.Status.ACTIVE: "success",
    SalesChannel.Status.DISABLED: "danger",
}


class _ReadOnlyInline(TabularInline):
    """Rows shown on their parent's page, to whoever may see the parent."""

    extra = 0
    can_delete = False
    hide_title = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class ChannelLedgerInline(_ReadOnlyInline):
    model = ChannelLedgerEntry
    verbose_name_plural = _("channel ledger")
    fields = [
        "created_at",
        "kind",
        "amount",
        "balance_after_amount",
        "reference_no",
        "note",
        "created_by_name",
    ]
    readonly_fields = fields
    ordering = ["-id"]

    @display(description=_("created by"))
    def created_by_name(self, obj):
        return person_name(obj.created_by)

    def get_queryset(self, request):
        return selectors.channel_ledger_list(actor=request.user).select_related("created_by")


class LedgerPostForm(BaseDialogForm):
    """The dialog of "post to the balance": kind, signed amount, reference, note."""

    kind = forms.ChoiceField(label=_("kind"), choices=ChannelLedgerEntry.Kind.choices)
    amount = forms.DecimalField(
        label=pgettext_lazy("ledger", "amount"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive credits the channel, negative debits it."),
    )
    reference_no = forms.CharField(label=_("reference"), max_length=60)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


@admin.register(SalesChannel)
class SalesChannelAdmin(ServiceModelAdmin):
    list_selector = selectors.channel_list
    nav_group = "orders"
    nav_order = 60
    nav_icon = "storefront"
    # The channel code (own_store, tmall-…) is a technical key the storefront API takes:
    # typed once on "add", then shown by the API only (a screen shows names, not codes).
    list_display = [
        "name",
        "kind",
        "storefront_user_id",
        "balance_amount",
        "redeem_link",
        "operator_name",
        status_display("status", CHANNEL_STATUS_COLOURS),
    ]
    list_filter = ["kind", "status"]
    search_fields = ["^name", "^redeem_domain", "^storefront_user_id"]

    @admin.display(description=_("redeem domain"), ordering="redeem_domain")
    def redeem_link(self, obj):
        """The redemption site as a link (customers redeem virtual goods there)."""
        if not obj.redeem_domain:
            return "—"
        return format_html(
            '<a href="https://{0}/" target="_blank" rel="noopener noreferrer">https://{0}/</a>',
            obj.redeem_domain,
        )

    search_help_text = _("Search by channel name, redeem domain or storefront user id.")
    ordering = ["code"]
    fields = [
        "code",
        "name",
        "kind",
        "storefront_user_id",
        "redeem_domain",
        "operator",
        "note",
        "status",
        "balance_amount",
    ]
    inlines = [ChannelLedgerInline]
    actions_detail = ["switch_off", "switch_on", "post_to_ledger"]
    list_before_template = "admin/orders/saleschannel/total.html"

    def changelist_view(self, request, extra_context=None):
        """Seed 003 "总余额监控": the total balance of every channel the reader sees."""
        from django.db.models import Sum

        total = selectors.channel_list(actor=request.user).aggregate(t=Sum("balance_amount"))["t"]
        extra_context = {**(extra_context or {}), "channel_total_balance": total or "0.00"}
        return super().changelist_view(request, extra_context)

    operator_name = person_column("operator", _("operator account"))

    def get_readonly_fields(self, request, obj=None):
        return ["status", "balance_amount"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [f for f in self.fields if f not in ("status", "balance_amount")]
        return [f for f in self.fields if f != "code"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        values = {
            name: data[name]
            for name in ("name", "kind", "storefront_user_id", "redeem_domain", "operator", "note")
        }
        if change:
            changed = {name: values[name] for name in form.changed_data if name in values}
            return channel_services.channel_update(actor=request.user, channel=obj, **changed)
        return channel_services.channel_create(actor=request.user, code=data["code"], **values)

    def save_related(self, request, form, formsets, change):
        """The ledger is read-only here; postings go through the button."""

    @workflow_action(
        description=_("Switch off"),
        permission=CHANGE_CHANNEL,
        when=lambda obj: obj.status == SalesChannel.Status.ACTIVE,
        reason=True,
        icon="toggle_off",
    )
    def switch_off(self, request, obj, *, reason):
        channel_services.channel_disable(actor=request.user, channel=obj, reason=reason)

    @workflow_action(
        description=_("Switch on"),
        permission=CHANGE_CHANNEL,
        when=lambda obj: obj.status == SalesChannel.Status.DISABLED,
        confirm=_("Switch this channel on again? It will take orders."),
        icon="toggle_on",
    )
    def switch_on(self, request, obj):
        channel_services.channel_enable(actor=request.user, channel=obj)

    @workflow_action(
        description=_("Post to the balance"),
        permission=ADJUST_CHANNEL_BALANCE,
        form_class=LedgerPostForm,
        icon="account_balance_wallet",
    )
    def post_to_ledger(self, request, obj, *, kind, amount, reference_no, note):
        channel_services.channel_ledger_post(
            actor=request.user,
            channel=obj,
            kind=kind,
            amount=amount,
            reference_no=reference_no,
            note=note,
        )


# --- promotion calendar ----------------------------------------------------------------


@admin.register(PromotionPeriod)
class PromotionPeriodAdmin(ServiceModelAdmin):
    """Promotion periods (618, 双11 …): orders approved inside one may ship within 48 h."""

    list_selector = selectors.promotion_period_list
    nav_group = "orders"
    nav_order = 70
    nav_icon = "event"
    list_display = ["name", "starts_at", "ends_at", "created_by_name"]
    search_fields = ["name"]
    search_help_text = _("Search by name.")
    ordering = ["-starts_at", "-id"]
    fields = ["name", "starts_at", "ends_at"]

    created_by_name = person_column("created_by", _("created by"))

    def save_with_service(self, request, obj, form, change):
        from ..services.shipping import promotion_period_save

        data = form.cleaned_data
        return promotion_period_save(
            actor=request.user,
            period=obj if change else None,
            name=data["name"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        )

    def delete_model(self, request, obj):
        from ..services.shipping import promotion_period_delete

        promotion_period_delete(actor=request.user, period=obj)

    def delete_queryset(self, request, queryset):
        for period in queryset:
            self.delete_model(request, period)


# --- freight templates ---------------------------------------------------------------


class FreightRuleInline(TabularInline):
    model = FreightRule
    extra = 0
    fields = ["region", "first_fee_amount", "extra_fee_amount"]
    verbose_name_plural = _("fees per sales region")


@admin.register(FreightTemplate)
class FreightTemplateAdmin(ServiceModelAdmin):
    """Freight templates: first weight and each extra weight; fees per sales region."""

    list_selector = selectors.freight_template_list
    nav_group = "orders"
    nav_order = 80
    nav_icon = "local_shipping"
    list_display = [
        "name",
        "is_default",
        "first_weight_grams",
        "first_fee_amount",
        "extra_weight_grams",
        "extra_fee_amount",
        "rule_count",
    ]
    search_fields = ["name"]
    search_help_text = _("Search by name.")
    ordering = ["-is_default", "name"]
    fields = [
        "name",
        "is_default",
        "first_weight_grams",
        "first_fee_amount",
        "extra_weight_grams",
        "extra_fee_amount",
    ]
    inlines = [FreightRuleInline]

    @display(description=_("region rules"))
    def rule_count(self, obj):
        return len(obj.rules.all())

    def has_delete_permission(self, request, obj=None):
        return False

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        names = form.changed_data if change else self.fields
        values = {name: data[name] for name in names if name in self.fields}
        return freight_services.freight_template_save(
            actor=request.user, template=obj if change else None, **values
        )

    def save_formset(self, request, form, formset, change):
        template = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for rule_form in formset.forms:
            data = getattr(rule_form, "cleaned_data", None)
            if not data:
                continue
            if data.get("DELETE") and rule_form.instance.pk:
                freight_services.freight_rule_remove(actor=request.user, rule=rule_form.instance)
                formset.deleted_objects.append(rule_form.instance)
                continue
            if not rule_form.has_changed():
                continue
            previous_region = rule_form.initial.get("region")
            rule = freight_services.freight_rule_save(
                actor=request.user,
                template=template,
                region=data["region"],
                first_fee_amount=data["first_fee_amount"],
                extra_fee_amount=data["extra_fee_amount"],
            )
            if rule_form.instance.pk and previous_region not in (None, rule.region_id):
                # The row was moved to another region: the old region's rule goes.
                old = FreightRule.objects.filter(pk=rule_form.instance.pk).first()
                if old is not None and old.pk != rule.pk:
                    freight_services.freight_rule_remove(actor=request.user, rule=old)
            formset.new_objects.append(rule)
