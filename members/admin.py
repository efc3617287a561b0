"""Admin of the members app: members (masked per RBAC), read-only ledgers, coupon
templates and level rules. Every write goes through ``members.services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from mall.core.admin import (
    PiiAdminMixin,
    ReadOnlyModelAdmin,
    ScopedModelAdmin,
    ServiceModelAdmin,
    TabularInline,
    admin_pii_value,
)

from . import selectors, services
from .exceptions import InvalidPhone, PhoneSearchRateLimited
from .models import (
    Address,
    Coupon,
    CouponTemplate,
    GrowthEntry,
    Level,
    LevelChange,
    Member,
    Notification,
    PointsEntry,
    PointsLot,
)
from .services.phone_search import member_search_by_phone
from .validators import TEMPLATE_FIELDS, coupon_template_errors, normalize_phone


class AddressInline(TabularInline):
    model = Address
    extra = 0
    can_delete = False
    fields = ["masked_recipient", "masked_phone", "province", "city", "masked_detail", "is_default"]
    readonly_fields = fields

    def get_queryset(self, request):
        # A member's addresses can lie in several regions: show only those in scope
        # (the same rows as GET /api/v1/members/{id}/addresses/).
        return selectors.address_list(actor=request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # The member page's policy (PiiAdminMixin) masks these or records their reveal.
    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj):
        return admin_pii_value(obj, "recipient", "name")

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return admin_pii_value(obj, "phone", "phone")

    @admin.display(description=_("detail"))
    def masked_detail(self, obj):
        return admin_pii_value(obj, "detail", "address")


@admin.register(Member)
class MemberAdmin(PiiAdminMixin, ScopedModelAdmin):
    list_selector = selectors.member_list
    list_display = [
        "id",
        "masked_phone",
        "masked_name",
        "level",
        "growth",
        "points_balance",
        "status",
        "risk_mark",
        "region",
        "created_at",
    ]
    list_filter = ["level", "status", "risk_mark", "region", "channel"]
    list_select_related = ["level", "region"]
    search_fields = ["id"]
    search_help_text = _("Search by the full phone number or the member id.")
    ordering = ["-id"]
    estimated_count = True
    pii_fields = {"phone": "phone", "name": "name", "id_number": "id_number"}
    pii_labels = {"phone": _("phone"), "name": _("name"), "id_number": _("ID number")}
    fields = [
        "masked_phone",
        "masked_name",
        "masked_id_number",
        "gender",
        "birthday",
        "channel",
        "is_real_name_verified",
        "level",
        "growth",
        "points_balance",
        "status",
        "risk_mark",
        "region",
        "last_login_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [AddressInline]
    actions = ["freeze_selected", "unfreeze_selected"]

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        # A full phone number (any spelling normalize_phone accepts) is searched through
        # its lookup hash: audited and rate limited per staff user. Anything else is a
        # member id; a partial phone never matches phone digits (masked or not).
        try:
            normalize_phone(term)
        except InvalidPhone:
            pass
        else:
            try:
                member = member_search_by_phone(
                    actor=request.user, phone=term, context=f"admin {request.path}"
                )
            except PhoneSearchRateLimited as error:
                self.message_user(request, error.message, messages.ERROR)
                return queryset.none(), False
            return (queryset.filter(pk=member.pk) if member else queryset.none()), False
        if term.isdigit() and len(term) <= 18:
            return queryset.filter(pk=int(term)), False
        return queryset.none(), False

    def has_add_permission(self, request):
        return False  # members register in the storefront

    def has_change_permission(self, request, obj=None):
        return False  # changes are actions through services

    def has_delete_permission(self, request, obj=None):
        return False

    def has_manage_member_status_permission(self, request):
        return request.user.has_perm("members.manage_member_status")

    def _set_status(self, request, queryset, status, reason):
        changed = 0
        for member in queryset:
            if member.status == status:
                continue
            if self.run_service(
                request,
                services.member_set_status,
                actor=request.user,
                member=member,
                status=status,
                reason=reason,
            ):
                changed += 1
        self.message_user(
            request, _("%(count)d members changed.") % {"count": changed}, messages.SUCCESS
        )

    @admin.action(description=_("Freeze selected members"), permissions=["manage_member_status"])
    def freeze_selected(self, request, queryset):
        self._set_status(
            request, queryset, Member.Status.FROZEN, str(_("Frozen from the admin list"))
        )

    @admin.action(description=_("Unfreeze selected members"), permissions=["manage_member_status"])
    def unfreeze_selected(self, request, queryset):
        self._set_status(
            request, queryset, Member.Status.ACTIVE, str(_("Unfrozen from the admin list"))
        )


@admin.register(Address)
class AddressAdmin(PiiAdminMixin, ReadOnlyModelAdmin):
    list_selector = selectors.address_list
    list_display = [
        "id",
        "member",
        "masked_recipient",
        "masked_phone",
        "province",
        "region",
        "city",
        "masked_detail",
        "is_default",
    ]
    list_filter = ["region"]
    list_select_related = ["member", "province", "region"]
    pii_fields = {"recipient": "name", "phone": "phone", "detail": "address"}
    pii_labels = {"recipient": _("recipient"), "phone": _("phone"), "detail": _("detail")}
    fields = [
        "member",
        "masked_recipient",
        "masked_phone",
        "province",
        "region",
        "city",
        "district",
        "masked_detail",
        "is_default",
    ]
    readonly_fields = fields


@admin.register(GrowthEntry)
class GrowthEntryAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.growth_entry_list
    list_display = ["id", "member", "reason", "reference", "amount", "balance_after", "created_at"]
    list_filter = ["reason"]
    search_fields = ["reference"]


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.level_change_list
    list_display = ["id", "member", "from_level", "to_level", "growth", "reason", "created_at"]
    list_select_related = ["member", "from_level", "to_level"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.points_entry_list
    list_display = ["id", "member", "reason", "reference", "points", "balance_after", "created_at"]
    list_filter = ["reason"]
    search_fields = ["reference"]


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.points_lot_list
    list_display = ["id", "member", "reason", "points", "remaining", "earned_at", "expires_at"]
    list_filter = ["reason"]


@admin.register(Coupon)
class CouponAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.coupon_list
    list_display = ["id", "template", "member", "status", "source", "valid_until", "order_no"]
    list_filter = ["status", "source"]
    list_select_related = ["template", "member"]
    search_fields = ["order_no"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.notification_list
    list_display = ["id", "member", "kind", "channel", "status", "attempts", "created_at"]
    list_filter = ["status", "kind", "channel"]
    exclude = ["payload"]  # may carry personal data (an e-mail address)


class CouponTemplateForm(forms.ModelForm):
    class Meta:
        model = CouponTemplate
        fields = [*TEMPLATE_FIELDS, "categories"]

    def clean(self):
        cleaned = super().clean()
        values = {field: cleaned.get(field) for field in TEMPLATE_FIELDS}
        issued = self.instance.issued_count if self.instance.pk else 0
        for field, problems in coupon_template_errors(values, issued_count=issued).items():
            target = field if field in self.fields else None
            for problem in problems:
                self.add_error(target, problem)
        return cleaned


@admin.register(CouponTemplate)
class CouponTemplateAdmin(ServiceModelAdmin):
    list_selector = selectors.coupon_template_list
    form = CouponTemplateForm
    list_display = [
        "id",
        "name",
        "kind",
        "threshold_amount",
        "discount_amount",
        "discount_rate",
        "total_stock",
        "issued_count",
        "per_member_limit",
        "is_claimable",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "is_claimable"]
    search_fields = ["name"]
    readonly_fields = ["issued_count"]

    def save_with_service(self, request, obj, form, change):
        """Save the fields and the categories in one service call (one transaction,
        one audit entry); a refusal rolls the whole form back."""
        values = {field: form.cleaned_data.get(field) for field in TEMPLATE_FIELDS}
        categories = form.cleaned_data.get("categories")
        if change:
            changed = {f: values[f] for f in form.changed_data if f in values}
            if "categories" in form.changed_data:
                changed["categories"] = list(categories or [])
            return services.coupon_template_update(actor=request.user, template=obj, **changed)
        return services.coupon_template_create(
            actor=request.user, categories=list(categories or []), **values
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: wallets refer to templates


class LevelForm(forms.ModelForm):
    class Meta:
        model = Level
        fields = ["name", "discount_rate", "free_shipping", "birthday_coupon", "birthday_points"]


@admin.register(Level)
class LevelAdmin(ServiceModelAdmin):
    list_selector = selectors.level_list
    form = LevelForm
    list_display = [
        "rank",
        "code",
        "name",
        "discount_rate",
        "free_shipping",
        "birthday_coupon",
        "birthday_points",
    ]
    ordering = ["rank"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "birthday_coupon":
            kwargs["queryset"] = selectors.coupon_template_list(actor=request.user).filter(
                is_active=True, is_claimable=False
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_with_service(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        return services.level_rule_update(actor=request.user, level=obj, **changes)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
