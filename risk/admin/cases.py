"""风控案件: the risk officer's case queue.

The list puts open cases first; the change page is read-only and every step is a
button calling ``risk.services.decisions`` (认领, 备注, 确认, 驳回, 关闭违规订单) or
``risk.services.freezes`` (冻结资金). Staff holding ``risk.add_riskcase`` report a case
by hand with the add form (``case_report``). Evidence shows as readable rows in
Chinese; members are always masked.
"""

from __future__ import annotations

from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from mall.core.admin import ServiceModelAdmin, person_column, status_display, workflow_action

from .. import permissions as perms
from .. import selectors
from ..models import RiskCase, RiskMark
from .common import (
    CASE_COLOURS,
    cases_breached,
    evidence_table,
    member_text,
    rule_label,
    when,
    with_sla_due,
)

_reader: ContextVar = ContextVar("risk_case_reader", default=None)


def case_rows(*, actor):
    """The case queue: scoped cases with their SLA due time, open ones first."""
    return with_sla_due(selectors.case_list(actor=actor)).annotate(
        open_rank=Case(
            When(status=RiskCase.Status.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


class HandlerFilter(admin.SimpleListFilter):
    title = _("handler")
    parameter_name = "handler"

    def lookups(self, request, model_admin):
        return [("mine", _("handled by me")), ("none", _("not taken"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(handler=request.user)
        if self.value() == "none":
            return queryset.filter(handler__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    """``?sla=overdue``: open cases past their deadline (the workbench tile 超时案件)."""

    title = _("deadline")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", _("overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return cases_breached(queryset)
        return queryset


class NoteForm(BaseDialogForm):
    note = forms.CharField(
        label=_("note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmForm(BaseDialogForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    mark_level = forms.ChoiceField(
        label=_("mark the member"),
        required=False,
        choices=[("", _("no mark")), *RiskMark.Level.choices],
    )
    mark_days = forms.IntegerField(
        label=_("mark for (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Empty: until revoked."),
    )
    blacklist = forms.BooleanField(
        label=_("blacklist what the evidence names"),
        required=False,
        help_text=_("The member and the devices, IP addresses and addresses in the evidence."),
    )


class CaseReportForm(forms.ModelForm):
    order_no = forms.CharField(
        label=_("order number"),
        max_length=24,
        required=False,
        help_text=_("The order the case is about (optional when a member is chosen)."),
    )

    class Meta:
        model = RiskCase
        fields = ["summary", "member"]


@admin.register(RiskCase)
class RiskCaseAdmin(ServiceModelAdmin):
    list_selector = case_rows
    nav_group = "risk"
    nav_order = 10
    nav_icon = "gpp_maybe"
    search_fields = ["=case_no", "=order__order_no"]
    search_help_text = _("Search by case or order number (exact).")
    list_filter = ["status", "kind", "point", "region", HandlerFilter, OverdueFilter]
    list_select_related = ["member", "order", "region", "handler"]
    list_display = [
        "case_no",
        "kind",
        status_display("status", CASE_COLOURS),
        "member_masked",
        "order_no",
        "region",
        "score",
        "handler_name",
        "sla_due_at",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "case_no",
                    "kind",
                    "status",
                    "point",
                    "rule_name",
                    "score",
                    "summary",
                    "member_masked",
                    "order_no",
                    "region",
                    "handler_name",
                    "sla_due_at",
                    "seen_count",
                    "last_seen_at",
                    "created_at",
                ]
            },
        ),
        (_("Evidence"), {"fields": ["evidence_rows", "linked_orders", "freezes_of_case"]}),
        (
            _("Decision"),
            {"fields": ["notes", "decision_reason", "decided_by_name", "decided_at"]},
        ),
    ]
    readonly_fields = [
        "case_no",
        "kind",
        "status",
        "point",
        "rule_name",
        "score",
        "summary",
        "member_masked",
        "order_no",
        "region",
        "handler_name",
        "sla_due_at",
        "seen_count",
        "last_seen_at",
        "created_at",
        "evidence_rows",
        "linked_orders",
        "freezes_of_case",
        "notes",
        "decision_reason",
        "decided_by_name",
        "decided_at",
    ]
    autocomplete_fields = ["member"]
    actions_detail = ["take", "note", "confirm", "dismiss", "close_orders", "freeze"]

    handler_name = person_column("handler", _("handler"))
    decided_by_name = person_column("decided_by", _("decided by"))

    # --- add form: staff report a case -------------------------------------------------

    def get_ordering(self, request):
        return ["open_rank", "-id"]  # open cases first, newest first

    def editable_in_state(self, obj) -> bool:
        return False  # read-only page; every step is a button

    def has_add_permission(self, request):
        return request.user.has_perm(perms.ADD_CASE)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CaseReportForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["summary", "member", "order_no"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_with_service(self, request, obj, form, change):
        from orders.selectors import order_get

        from ..services.decisions import case_report

        order = None
        order_no = (form.cleaned_data.get("order_no") or "").strip()
        if order_no:
            order = order_get(actor=request.user, order_no=order_no)
        return case_report(
            actor=request.user,
            summary=form.cleaned_data["summary"],
            member=form.cleaned_data.get("member"),
            order=order,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        token = _reader.set(request.user)
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            _reader.reset(token)

    # --- columns -------------------------------------------------------------------------

    @admin.display(description=_("member"))
    def member_masked(self, case):
        return member_text(case.member)

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, case):
        return case.order.order_no if case.order_id else "—"

    @admin.display(description=_("SLA due"), ordering="sla_due")
    def sla_due_at(self, case):
        due = getattr(case, "sla_due", None)
        if due is None and case.pk:
            due = with_sla_due(RiskCase.objects.filter(pk=case.pk)).values_list(
                "sla_due", flat=True
            )[0]
        return when(due)

    @admin.display(description=_("rule"))
    def rule_name(self, case):
        return rule_label(case.rule)

    @display(description=_("evidence"))
    def evidence_rows(self, case):
        return evidence_table(case.evidence)

    @display(description=_("linked orders"))
    def linked_orders(self, case):
        from ..selectors import case_order_list

        reader = _reader.get()
        orders = list(case_order_list(actor=reader, case=case)[:50]) if reader else []
        if not orders:
            return "—"
        return format_html_join(
            "",
            '<div><a class="text-primary-600" href="{}">{}</a> · {}{}</div>',
            (
                (
                    reverse("admin:orders_order_change", args=[order.pk]),
                    order.order_no,
                    order.get_status_display(),
                    format_html(" · {}", _("funds frozen")) if order.is_frozen else "",
                )
                for order in orders[:50]
            ),
        )

    @display(description=_("fund freezes"))
    def freezes_of_case(self, case):
        from ..selectors import freeze_list

        reader = _reader.get()
        rows = list(freeze_list(actor=reader).filter(case=case)[:20]) if reader else []
        if not rows:
            return "—"
        return format_html_join(
            "",
            '<div><a class="text-primary-600" href="{}">{}</a> · {} · {}</div>',
            (
                (
                    reverse("admin:risk_fundfreeze_change", args=[row.pk]),
                    row.freeze_no,
                    row.order.order_no,
                    row.get_status_display(),
                )
                for row in rows
            ),
        )

    # --- buttons ---------------------------------------------------------------------------

    @workflow_action(
        description=_("Take"),
        permission=perms.CHANGE_CASE,
        when=lambda case, user: case.status == RiskCase.Status.OPEN and case.handler_id != user.pk,
        confirm=_("Become the handler of this case?"),
        success=_("You are now the handler of this case."),
        icon="person_add",
    )
    def take(self, request, case):
        from ..services.decisions import case_take

        case_take(actor=request.user, case=case)

    @workflow_action(
        description=_("Add a note"),
        permission=perms.CHANGE_CASE,
        form_class=NoteForm,
        success=_("The note was added."),
        variant=ActionVariant.DEFAULT,
        icon="edit_note",
    )
    def note(self, request, case, *, note):
        from ..services.decisions import case_note

        case_note(actor=request.user, case=case, note=note)

    @workflow_action(
        description=_("Confirm"),
        permission=perms.DECIDE_CASE,
        when=lambda case: case.status == RiskCase.Status.OPEN,
        form_class=ConfirmForm,
        success=_("The case is confirmed."),
        variant=ActionVariant.DANGER,
        icon="gavel",
    )
    def confirm(self, request, case, *, reason, mark_level="", mark_days=None, blacklist=False):
        from ..services.decisions import case_confirm

        case_confirm(
            actor=request.user,
            case=case,
            reason=reason,
            mark_level=mark_level or None,
            mark_days=mark_days,
            blacklist=bool(blacklist),
        )

    @workflow_action(
        description=_("Dismiss"),
        permission=perms.DECIDE_CASE,
        when=lambda case: case.status == RiskCase.Status.OPEN,
        reason=True,
        confirm=_("Dismiss this case as a false alarm?"),
        success=_("The case is dismissed."),
        variant=ActionVariant.DEFAULT,
        icon="block",
    )
    def dismiss(self, request, case, *, reason):
        from ..services.decisions import case_dismiss

        case_dismiss(actor=request.user, case=case, reason=reason)

    @workflow_action(
        description=_("Close abusive orders"),
        permission=perms.CLOSE_ORDER,
        when=lambda case: (
            case.status == RiskCase.Status.CONFIRMED
            and bool(case.order_id or (case.evidence or {}).get("orders"))
        ),
        reason=True,
        confirm=_(
            "Close the case's orders that have not shipped? Stock is released and paid "
            "orders are refunded per the rules."
        ),
        success=_("The orders that could be closed are closed."),
        variant=ActionVariant.DANGER,
        icon="cancel",
    )
    def close_orders(self, request, case, *, reason):
        from ..services.decisions import case_close_orders

        closed = case_close_orders(actor=request.user, case=case, reason=reason)
        self.message_user(
            request,
            _("Orders closed: %(orders)s") % {"orders": "、".join(closed)}
            if closed
            else _("No order could be closed (shipped, finished or already closed)."),
            level=messages.INFO,
        )

    @workflow_action(
        description=_("Freeze funds"),
        permission=perms.ADD_FREEZE,
        when=lambda case, user: (
            bool(case.order_id)
            and not case.order.is_frozen
            and user.has_perm("orders.freeze_order")
        ),
        reason=True,
        confirm=_("Freeze this order's funds? It cannot be shipped or refunded until released."),
        success=_("The order's funds are frozen."),
        variant=ActionVariant.DANGER,
        icon="lock",
    )
    def freeze(self, request, case, *, reason):
        from ..services.freezes import freeze_create

        freeze_create(actor=request.user, order=case.order, reason=reason, case=case)
