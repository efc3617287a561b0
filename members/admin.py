"""Admin of the members app: members (masked per RBAC), read-only ledgers, coupon
templates and level rules. Every write goes through ``members.services``."""

from __future__ import annotations

from uuid import uuid4

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from mall.core.admin import (
    PiiAdminMixin,
    ReadOnlyModelAdmin,
    ScopedModelAdmin,
    ServiceModelAdmin,
    TabularInline,
    admin_pii_value,
    workflow_action,
)

from . import permissions, selectors, services
from .exceptions import InvalidPhone, PhoneSearchRateLimited
from .member_360 import level_change_reason, member_360_sections, member_label
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
    RfmRun,
    RfmSegment,
)
from .rfm import VIEW_RFM
from .services.phone_search import member_search_by_phone
from .validators import TEMPLATE_FIELDS, coupon_template_errors, normalize_phone

# --- members as staff read them on ledgers ------------------------------------------------


class RfmSegmentFilter(admin.SimpleListFilter):
    """``?rfm_segment=<code>``: members of one RFM segment (the latest nightly run)."""

    title = _("RFM segment")
    parameter_name = "rfm_segment"

    def lookups(self, request, model_admin):
        return RfmSegment.choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value not in RfmSegment.values:
            return queryset.none()
        return queryset.filter(rfm__segment=value)


class RfmWinBackFilter(admin.SimpleListFilter):
    """``?rfm_win_back=yes|no``: members flagged (or not) for win-back by the RFM run."""

    title = _("RFM win-back")
    parameter_name = "rfm_win_back"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged for win-back")), ("no", _("Not flagged for win-back"))]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value not in ("yes", "no"):
            return queryset.none()
        if value == "yes":
            return queryset.filter(rfm__is_win_back=True)
        return queryset.exclude(rfm__is_win_back=True)


class MemberListFilter(admin.SimpleListFilter):
    """``?member=<id>``: one member's rows (the 360° page's "full list" links).

    The chosen member is named masked (name and phone); a member outside the reader's
    scope is named "—" and, the ledger being scoped too, shows no rows.
    """

    title = _("member")
    parameter_name = "member"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        member = None
        if value.isdigit():
            member = selectors.member_list(actor=request.user).filter(pk=int(value)).first()
        return [(value, member_label(member) if member else "—")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(member_id=int(value))


class MemberPhoneSearchMixin:
    """The search box finds a member's rows by the member's full phone number.

    The phone goes through the lookup hash (``member_search_by_phone``: audited,
    rate limited per staff user) — never a LIKE on an encrypted column. Anything that
    is not a full phone number is searched by :meth:`search_other` (by default the
    admin's ``search_fields``, e.g. the order or activity reference).
    """

    member_lookup = "member"

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        try:
            normalize_phone(term)
        except InvalidPhone:
            return self.search_other(request, queryset, term)
        try:
            member = member_search_by_phone(
                actor=request.user, phone=term, context=f"admin {request.path}"
            )
        except PhoneSearchRateLimited as error:
            self.message_user(request, error.message, messages.ERROR)
            return queryset.none(), False
        if member is None:
            return queryset.none(), False
        return queryset.filter(**{self.member_lookup: member.pk}), False

    def search_other(self, request, queryset, term):
        return super().get_search_results(request, queryset, term)


@admin.display(description=_("member"))
def member_link(obj):
    """The row's member, masked (name and phone), linking to the member's 360° page."""
    member = obj.member
    url = reverse("admin:members_member_change", args=[member.pk])
    return format_html('<a href="{}">{}</a>', url, member_label(member))


def _reference_text(obj) -> str:
    # A hand adjustment's reference is internal (staff:<user>:<member>:…): its note
    # says what happened; other references name the order or the activity.
    return "" if obj.reference.startswith("staff:") else obj.reference


@admin.display(description=_("reference"))
def reference_text(obj):
    return _reference_text(obj) or "—"


LEDGER_SEARCH_HELP = _(
    "Enter a member's full phone number to see their rows, or an order/activity reference."
)


# --- members ------------------------------------------------------------------------------


class AdjustForm(BaseDialogForm):
    """The dialog of a hand adjustment: a non-zero whole amount and the reason."""

    amount = forms.IntegerField(
        label=_("Amount"),
        help_text=_("Positive to add, negative to deduct."),
    )
    note = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Made when the dialog opens: pressing the button twice records one adjustment.
    reference = forms.CharField(
        widget=forms.HiddenInput, max_length=40, initial=lambda: uuid4().hex
    )

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise ValidationError(_("Must be a non-zero whole number."))
        return amount

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError(_("A reason is required."))
        return note


class _Labelled:
    """``obj`` named ``label`` on the page (the theme's breadcrumb prints ``original``)."""

    def __init__(self, obj, label: str):
        self._obj = obj
        self._label = label

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._label


def _staff_reference(request, member, reference: str) -> str:
    """A hand adjustment's ledger reference (the staff API's format: unique per staff
    user and member)."""
    return f"staff:{request.user.pk}:{member.pk}:{reference}"


class AddressInline(TabularInline):
    model = Address
    extra = 0
    can_delete = False
    hide_title = True  # the row title would be the address's internal name
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
    @admin.display(description=pgettext_lazy("address", "recipient"))
    def masked_recipient(self, obj):
        return admin_pii_value(obj, "recipient", "name")

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return admin_pii_value(obj, "phone", "phone")

    @admin.display(description=_("detail"))
    def masked_detail(self, obj):
        return admin_pii_value(obj, "detail", "address")


class NamedByMemberMixin:
    """Pages of one member or one member's row are headed by the member, masked
    (``page_label``), never by the internal label ``str(obj)`` (``member:<id> …``):
    the change page's heading, breadcrumb and title and the history page's."""

    def page_label(self, obj) -> str:
        raise NotImplementedError

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            label = self.page_label(obj)
            context["subtitle"] = label
            context["original"] = _Labelled(obj, label)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            label = self.page_label(obj)
            extra_context = {
                **(extra_context or {}),
                "object": _Labelled(obj, label),
                "title": _("Change history: %s") % label,
                "subtitle": None,
            }
        return super().history_view(request, object_id, extra_context)


@admin.register(Member)
class MemberAdmin(NamedByMemberMixin, MemberPhoneSearchMixin, PiiAdminMixin, ScopedModelAdmin):
    """Members, and each member's 360° page (profile, levels and growth, points,
    coupons, addresses, notifications, and what apps above add through the hook
    ``members.member_360_sections``, see ``members.member_360``)."""

    list_selector = selectors.member_list
    nav_group = "members"
    nav_order = 10
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
    list_display_links = ["id", "masked_phone"]
    list_filter = ["level", "status", "risk_mark", "region", "channel"]
    list_select_related = ["level", "region"]
    search_fields = ["id"]
    search_help_text = _("Search by the full phone number or the member id.")
    member_lookup = "pk"
    ordering = ["-id"]
    estimated_count = True
    pii_fields = {"phone": "phone", "name": "name", "id_number": "id_number"}
    pii_labels = {
        "phone": _("phone"),
        "name": pgettext_lazy("person", "name"),
        "id_number": _("ID number"),
    }
    fieldsets = [
        (
            _("Profile"),
            {
                "fields": [
                    ("masked_phone", "masked_name"),
                    ("masked_id_number", "is_real_name_verified"),
                    ("gender", "birthday"),
                    ("channel", "region"),
                    ("created_at", "last_login_at"),
                ]
            },
        ),
        (
            _("Level, growth and points"),
            {"fields": [("level", "growth", "points_balance")]},
        ),
        (_("Account status"), {"fields": [("status", "risk_mark")]}),
    ]
    readonly_fields = [
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
    inlines = [AddressInline]
    actions = ["freeze_selected", "unfreeze_selected"]
    actions_detail = ["adjust_points", "adjust_growth"]
    change_form_after_template = "admin/members/member_360.html"

    # --- RFM (issue 17): columns and filters for readers of the results ---

    RFM_COLUMNS = ["rfm_segment", "rfm_scores", "rfm_win_back"]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.has_perm(VIEW_RFM):
            columns[columns.index("status") : columns.index("status")] = self.RFM_COLUMNS
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.has_perm(VIEW_RFM):
            filters += [RfmSegmentFilter, RfmWinBackFilter]
        return filters

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related("rfm") if request.user.has_perm(VIEW_RFM) else queryset

    @staticmethod
    def _rfm(obj):
        try:
            return obj.rfm
        except Member.rfm.RelatedObjectDoesNotExist:
            return None

    @admin.display(description=_("RFM segment"))
    def rfm_segment(self, obj):
        rfm = self._rfm(obj)
        return (rfm.get_segment_display() if rfm else "") or "—"

    @admin.display(description=_("RFM scores (R / F / M)"))
    def rfm_scores(self, obj):
        rfm = self._rfm(obj)
        if rfm is None or rfm.r_score is None:
            return "—"
        return f"{rfm.r_score} / {rfm.f_score} / {rfm.m_score}"

    @admin.display(description=_("RFM win-back"), boolean=True)
    def rfm_win_back(self, obj):
        rfm = self._rfm(obj)
        return bool(rfm and rfm.is_win_back)

    def search_other(self, request, queryset, term):
        # Anything but a full phone is a member id; a partial phone never matches
        # phone digits (masked or not).
        if term.isdigit() and len(term) <= 18:
            return queryset.filter(pk=int(term)), False
        return queryset.none(), False

    def page_label(self, obj) -> str:
        return member_label(obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Runs inside the page's PII policy (PiiAdminMixin): the sections read through
        # the scoped selectors.
        if obj is not None:
            context["member_360_sections"] = member_360_sections(member=obj, actor=request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @workflow_action(
        description=_("Adjust points"),
        permission=permissions.ADJUST_MEMBER_POINTS,
        confirm=_(
            "Add or deduct points by hand. The change and its reason are recorded in "
            "the points ledger and the audit log."
        ),
        form_class=AdjustForm,
        variant=ActionVariant.DEFAULT,
        icon="toll",
        success=_("Points adjusted."),
    )
    def adjust_points(self, request, member, amount, note, reference):
        services.points_adjust(
            actor=request.user,
            member=member,
            points=amount,
            reference=_staff_reference(request, member, reference),
            note=note,
        )

    @workflow_action(
        description=_("Adjust growth"),
        permission=permissions.ADJUST_MEMBER_GROWTH,
        confirm=_(
            "Add or deduct growth by hand; the member's level follows. The change and "
            "its reason are recorded in the growth ledger and the audit log."
        ),
        form_class=AdjustForm,
        variant=ActionVariant.DEFAULT,
        icon="trending_up",
        success=_("Growth adjusted."),
    )
    def adjust_growth(self, request, member, amount, note, reference):
        services.growth_adjust(
            actor=request.user,
            member=member,
            amount=amount,
            reference=_staff_reference(request, member, reference),
            note=note,
        )

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


class MemberRowsAdmin(NamedByMemberMixin, MemberPhoneSearchMixin, ReadOnlyModelAdmin):
    """A read-only list of members' rows (ledgers, coupons, notices, addresses).

    The member shows masked with a link to their 360° page (never ``member:<id>``),
    the search box takes a member's full phone number (through the lookup hash),
    ``?member=<id>`` lists one member's rows (:class:`MemberListFilter`), and an
    adjustment's internal reference gives way to its note.
    """

    nav_group = "members"
    search_help_text = LEDGER_SEARCH_HELP

    @admin.display(description=_("member"))
    def member_link(self, obj):
        return member_link(obj)

    @admin.display(description=_("reference"))
    def reference_text(self, obj):
        return reference_text(obj)

    @admin.display(description=_("lot"))
    def lot_text(self, obj):
        return f"#{obj.lot_id}" if getattr(obj, "lot_id", None) else "—"

    def get_fields(self, request, obj=None):
        swap = {"member": "member_link", "reference": "reference_text", "lot": "lot_text"}
        return [swap.get(field, field) for field in super().get_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        extra = ["member_link", "reference_text", "lot_text"]
        return [*super().get_readonly_fields(request, obj), *extra]

    def page_label(self, obj) -> str:
        return f"{member_label(obj.member)} · {self.opts.verbose_name} #{obj.pk}"


@admin.register(Address)
class AddressAdmin(PiiAdminMixin, MemberRowsAdmin):
    list_selector = selectors.address_list
    nav_order = 60
    list_display = [
        "id",
        "member_link",
        "masked_recipient",
        "masked_phone",
        "province",
        "region",
        "city",
        "masked_detail",
        "is_default",
    ]
    list_filter = [MemberListFilter, "region"]
    list_select_related = ["member", "province", "region"]
    search_fields = ["member"]  # shows the search box; it searches by phone only
    search_help_text = _("Enter a member's full phone number to see their addresses.")
    pii_fields = {"recipient": "name", "phone": "phone", "detail": "address"}
    pii_labels = {
        "recipient": pgettext_lazy("address", "recipient"),
        "phone": _("phone"),
        "detail": _("detail"),
    }
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

    def search_other(self, request, queryset, term):
        return queryset.none(), False  # addresses are found by their member's phone


@admin.register(GrowthEntry)
class GrowthEntryAdmin(MemberRowsAdmin):
    list_selector = selectors.growth_entry_list
    nav_order = 30
    list_display = [
        "id",
        "member_link",
        "reason",
        "reference_text",
        "amount",
        "balance_after",
        "note",
        "created_at",
    ]
    list_filter = [MemberListFilter, "reason"]
    list_select_related = ["member"]
    search_fields = ["reference"]


@admin.register(LevelChange)
class LevelChangeAdmin(MemberRowsAdmin):
    list_selector = selectors.level_change_list
    nav_order = 40
    list_display = [
        "id",
        "member_link",
        "from_level",
        "to_level",
        "growth",
        "reason_text",
        "created_at",
    ]
    list_filter = [MemberListFilter]
    list_select_related = ["member", "from_level", "to_level"]
    search_fields = ["member"]  # shows the search box; it searches by phone only
    search_help_text = _("Enter a member's full phone number to see their level history.")

    @admin.display(description=_("reason"))
    def reason_text(self, obj):
        return level_change_reason(obj)

    def get_fields(self, request, obj=None):
        return [
            "reason_text" if field == "reason" else field
            for field in super().get_fields(request, obj)
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "reason_text"]

    def search_other(self, request, queryset, term):
        return queryset.none(), False


@admin.register(PointsEntry)
class PointsEntryAdmin(MemberRowsAdmin):
    list_selector = selectors.points_entry_list
    nav_order = 20
    list_display = [
        "id",
        "member_link",
        "reason",
        "reference_text",
        "points",
        "balance_after",
        "note",
        "created_at",
    ]
    list_filter = [MemberListFilter, "reason"]
    list_select_related = ["member"]
    search_fields = ["reference"]


@admin.register(PointsLot)
class PointsLotAdmin(MemberRowsAdmin):
    list_selector = selectors.points_lot_list
    nav_order = 25
    list_display = [
        "id",
        "member_link",
        "reason",
        "points",
        "remaining",
        "earned_at",
        "expires_at",
    ]
    list_filter = [MemberListFilter, "reason"]
    list_select_related = ["member"]
    search_fields = ["reference"]


@admin.register(Coupon)
class CouponAdmin(MemberRowsAdmin):
    list_selector = selectors.coupon_list
    nav_group = "marketing"
    nav_order = 20
    list_display = [
        "id",
        "template",
        "member_link",
        "status",
        "source",
        "valid_until",
        "order_no",
    ]
    list_filter = [MemberListFilter, "status", "source"]
    list_select_related = ["template", "member"]
    search_fields = ["order_no"]
    search_help_text = _(
        "Enter a member's full phone number to see their coupons, or an order number."
    )


@admin.register(Notification)
class NotificationAdmin(MemberRowsAdmin):
    list_selector = selectors.notification_list
    nav_order = 70
    list_display = [
        "id",
        "member_link",
        "kind",
        "channel",
        "status",
        "attempts",
        "created_at",
    ]
    list_filter = [MemberListFilter, "status", "kind", "channel"]
    list_select_related = ["member"]
    search_fields = ["member"]  # shows the search box; it searches by phone only
    search_help_text = _("Enter a member's full phone number to see their notifications.")
    # The payload may carry personal data (an e-mail address); the dedupe key is internal.
    exclude = ["payload", "dedupe_key"]

    def search_other(self, request, queryset, term):
        return queryset.none(), False


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
    nav_group = "marketing"
    nav_order = 10
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
    nav_group = "members"
    nav_order = 50
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


@admin.register(RfmRun)
class RfmRunAdmin(ReadOnlyModelAdmin):
    """The nightly RFM runs (a system record over every member: shown only with
    ``members.view_rfmrun``, given to whoever sees every member — the ops lead)."""

    nav_group = "members"
    nav_order = 90
    nav_icon = "insights"
    list_display = [
        "run_date",
        "window_days",
        "window_start",
        "window_end",
        "members_scored",
        "members_win_back",
        "duration_ms",
    ]
    fields = list_display
    readonly_fields = list_display
    ordering = ["-run_date"]
