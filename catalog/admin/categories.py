"""Categories and their two-person change requests."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.enums import ActionVariant

from mall.core.admin import (
    ScopedModelAdmin,
    ServiceModelAdmin,
    workflow_action,
)

from .. import permissions as perms
from .. import selectors, services
from ..admin_filters import (
    CategoryLevelFilter,
    category_path,
)
from ..models import (
    Category,
    CategoryChangeRequest,
)
from ._common import (
    CHANGE_STATUS_TONES,
    ReasonActionForm,
    _person,
)


@admin.register(Category)
class CategoryAdmin(ScopedModelAdmin):
    """The tree, shown as a tree; read-only here: changes go through change requests."""

    nav_group = "catalog"
    nav_order = 20
    nav_icon = "account_tree"
    list_display = ["tree_name", "code", "level_label", "sort_order", "active_label"]
    list_display_links = ["tree_name"]
    list_filter = [CategoryLevelFilter, "is_active"]
    search_fields = ["code", "name"]
    ordering = None
    list_per_page = 200

    def get_queryset(self, request):
        return selectors.category_tree(actor=request.user)

    sortable_by = ()  # the tree order only

    def get_ordering(self, request):
        # the selector's tree order (its annotations), not the model's level order
        return ["root_sort", "root_key", "middle_sort", "middle_key", "leaf_sort", "id"]

    @display(description=_("category"))
    def tree_name(self, category: Category):
        marker = "" if category.level == 1 else "└ "
        return format_html(
            '<span style="padding-left:{}rem" title="{}">{}{}</span>',
            (category.level - 1) * 1.75,
            category_path(category),
            marker,
            category.name,
        )

    @display(description=_("level"), label={1: "primary", 2: "info", 3: ""})
    def level_label(self, category: Category):
        names = {1: _("level 1"), 2: _("level 2"), 3: _("level 3")}
        return category.level, names.get(category.level, category.level)

    @display(description=_("active"), label={True: "success", False: "danger"})
    def active_label(self, category: Category):
        return category.is_active, _("active") if category.is_active else _("inactive")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CategoryChoiceField(forms.ModelChoiceField):
    """A category picked by its full path (一级 / 二级 / 三级)."""

    def label_from_instance(self, obj):
        return category_path(obj)


class CategoryChangeForm(forms.ModelForm):
    code = forms.CharField(label=_("code"), max_length=40, required=False)
    name = forms.CharField(label=_("name"), max_length=60, required=False)
    # choices are set per request from the selector (CategoryChangeRequestAdmin.get_form)
    parent = CategoryChoiceField(
        label=_("parent category"), queryset=Category.objects.none(), required=False
    )
    sort_order = forms.IntegerField(label=_("sort order"), required=False)

    class Meta:
        model = CategoryChangeRequest
        fields = ["kind", "category", "reason"]
        field_classes = {"category": CategoryChoiceField}


@admin.register(CategoryChangeRequest)
class CategoryChangeRequestAdmin(ServiceModelAdmin):
    nav_group = "catalog"
    nav_order = 30
    nav_icon = "rule"
    form = CategoryChangeForm
    list_display = [
        "__str__",
        "kind",
        "category_path",
        "status_label",
        "requested_by_name",
        "decided_by_name",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["category__parent__parent", "requested_by", "decided_by"]
    action_form = ReasonActionForm
    actions = ["approve_selected", "reject_selected"]
    actions_detail = ["approve_button", "reject_button"]
    readonly_fields = [
        "kind",
        "category_path",
        "requested_values",
        "reason",
        "status_text",
        "requested_by_name",
        "created_at",
        "decided_by_name",
        "decided_at",
        "decision_note",
    ]

    def get_queryset(self, request):
        return selectors.category_change_list(actor=request.user).select_related(
            "category__parent__parent"
        )

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        tree = selectors.category_tree(actor=request.user)
        parents = tree.filter(level__lt=Category.MAX_LEVEL, is_active=True)

        class ParentsInScopeForm(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if "parent" in self.fields:
                    self.fields["parent"].queryset = parents
                if "category" in self.fields:
                    self.fields["category"].queryset = tree

        ParentsInScopeForm.__name__ = form_class.__name__
        return ParentsInScopeForm

    def get_fields(self, request, obj=None):
        if obj is not None:
            return self.readonly_fields
        return ["kind", "category", "code", "name", "parent", "sort_order", "reason"]

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm(perms.APPROVE_CATEGORY_CHANGE)

    def has_add_permission(self, request):
        return request.user.has_perm(perms.REQUEST_CATEGORY_CHANGE)

    def get_readonly_fields(self, request, obj=None):
        return list(self.readonly_fields) if obj is not None else []

    @display(description=_("category"))
    def category_path(self, change: CategoryChangeRequest):
        if change.category_id:
            return category_path(change.category)
        return (change.payload or {}).get("name") or "—"  # a category still to be created

    @display(description=_("status"), label=CHANGE_STATUS_TONES)
    def status_label(self, change: CategoryChangeRequest):
        return change.status, change.get_status_display()

    @display(description=_("status"))
    def status_text(self, change: CategoryChangeRequest):
        return change.get_status_display()

    @display(description=_("requested by"))
    def requested_by_name(self, change: CategoryChangeRequest):
        return _person(change.requested_by)

    @display(description=_("decided by"))
    def decided_by_name(self, change: CategoryChangeRequest):
        return _person(change.decided_by) if change.decided_by_id else "—"

    @display(description=_("requested values"))
    def requested_values(self, change: CategoryChangeRequest):
        labels = {
            "code": _("code"),
            "name": _("name"),
            "sort_order": _("sort order"),
            "parent_id": _("parent category"),
        }
        parts = []
        for key, value in (change.payload or {}).items():
            if key == "parent_id":
                parent = Category.objects.select_related("parent").filter(pk=value).first()
                value = category_path(parent) if parent else "—"
            parts.append(f"{labels.get(key, key)}：{value}")
        return "；".join(parts) or "—"

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        payload = {}
        for name in ("code", "name", "sort_order"):
            if data.get(name) not in (None, ""):
                payload[name] = data[name]
        if data.get("parent") is not None:
            payload["parent_id"] = data["parent"].pk
        return services.category_change_request(
            actor=request.user,
            kind=data["kind"],
            category=data.get("category"),
            payload=payload,
            reason=data.get("reason") or "",
        )

    # the decision as buttons on the request's page (the same services as the API)
    @workflow_action(
        description=_("Approve and apply"),
        permission=perms.APPROVE_CATEGORY_CHANGE,
        when=lambda change: change.status == CategoryChangeRequest.Status.PENDING,
        confirm=_("The change is applied to the category tree at once."),
        success=_("The change was approved and applied."),
        icon="check",
    )
    def approve_button(self, request, change):
        services.category_change_approve(actor=request.user, change=change)

    @workflow_action(
        description=_("Reject"),
        permission=perms.APPROVE_CATEGORY_CHANGE,
        when=lambda change: change.status == CategoryChangeRequest.Status.PENDING,
        reason=True,
        success=_("The change was rejected."),
        variant=ActionVariant.DANGER,
        icon="close",
    )
    def reject_button(self, request, change, reason):
        services.category_change_reject(actor=request.user, change=change, note=reason)

    @admin.action(description=_("Approve and apply selected requests"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        for change in queryset:
            self.run_service(
                request,
                services.category_change_approve,
                actor=request.user,
                change=change,
                success=_("Request #%(id)s approved.") % {"id": change.pk},
            )

    @admin.action(
        description=_("Reject selected requests (give a reason)"), permissions=["approve"]
    )
    def reject_selected(self, request, queryset):
        reason = request.POST.get("reason", "")
        for change in queryset:
            self.run_service(
                request,
                services.category_change_reject,
                actor=request.user,
                change=change,
                note=reason,
                success=_("Request #%(id)s rejected.") % {"id": change.pk},
            )


# --- products --------------------------------------------------------------------------
