"""The SLA board: clocks, their extensions."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.core.admin import (
    ReadOnlyModelAdmin,
    TabularInline,
)

from ..models import (
    SlaClock,
    SlaClockExtension,
)
from ..selectors import (
    sla_board,
    sla_clock_list,
)
from ..services.sla import MAX_EXTENSION_MINUTES, sla_clock_extend
from ..sla_kinds import registered_sla_kinds
from .parameters import _intermediate


class SlaKindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, declared.label) for kind, declared in registered_sla_kinds().items()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class SlaRunningFilter(admin.SimpleListFilter):
    """Running clocks by default: the board is about what is still waiting."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Running, overdue")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Running"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value == "closed":
            return queryset.filter(closed_at__isnull=False)
        running = queryset.filter(closed_at__isnull=True)
        if value == "overdue":
            return running.filter(Q(status=SlaClock.Status.BREACHED) | Q(due_at__lt=timezone.now()))
        return running


class SlaExtendForm(forms.Form):
    minutes = forms.IntegerField(label=_("minutes"), min_value=1, max_value=MAX_EXTENSION_MINUTES)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


class SlaClockExtensionInline(TabularInline):
    model = SlaClockExtension
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "minutes", "previous_due_at", "new_due_at", "reason")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_slaclock")  # the history is part of the clock

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyModelAdmin):
    """The SLA board: running clocks, earliest deadline (most overdue) first."""

    list_display = (
        "kind_label",
        "subject_label",
        "region",
        "owner",
        "status",
        "due_at",
        "overdue",
        "extended_minutes",
        "escalated_at",
    )
    list_filter = (SlaRunningFilter, SlaKindFilter, "status", "region")
    list_select_related = ("region", "owner", "subject_type")
    search_fields = ("subject_label", "subject_id")
    ordering = ("due_at", "id")
    actions = ["extend"]
    inlines = [SlaClockExtensionInline]
    readonly_fields = (
        "kind_label",
        "subject_type",
        "subject_id",
        "subject_label",
        "region",
        "owner",
        "status",
        "started_at",
        "due_at",
        "extended_minutes",
        "breached_at",
        "escalated_at",
        "closed_at",
        "closed_outcome",
    )
    fields = readonly_fields
    change_list_template = "admin/ops/slaclock/change_list.html"

    def get_queryset(self, request):
        return sla_clock_list(actor=request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_slaclock")

    def has_extend_permission(self, request):
        return request.user.has_perm("ops.extend_slaclock")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj):
        declared = registered_sla_kinds().get(obj.kind)
        return declared.label if declared else obj.kind

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.status == SlaClock.Status.BREACHED or (
            obj.closed_at is None and obj.due_at < timezone.now()
        )

    def changelist_view(self, request, extra_context=None):
        kinds = registered_sla_kinds()
        board = [
            {**row, "label": kinds[row["kind"]].label if row["kind"] in kinds else row["kind"]}
            for row in sla_board(actor=request.user)
        ]
        return super().changelist_view(request, {"sla_board": board, **(extra_context or {})})

    @admin.action(description=_("Extend the deadline (with a reason)"), permissions=["extend"])
    def extend(self, request, queryset):
        form = SlaExtendForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for clock in queryset:
                if self.run_service(
                    request,
                    sla_clock_extend,
                    actor=request.user,
                    clock=clock,
                    minutes=form.cleaned_data["minutes"],
                    reason=form.cleaned_data["reason"],
                ):
                    done += 1
            if done:
                self.message_user(
                    request,
                    _("%(count)s clock(s) extended.") % {"count": done},
                    messages.SUCCESS,
                )
            return None
        return _intermediate(
            self,
            request,
            queryset,
            form=form,
            title=_("Extend SLA clocks"),
            action="extend",
            button=_("Extend"),
        )


# --- staff notifications ------------------------------------------------------------------
