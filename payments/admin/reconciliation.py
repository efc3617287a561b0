"""财务 → 对账批次, 对账差异, 调账申请: reconciliation runs, the discrepancy queue and
the two-person adjustments.

* 对账批次 — runs (mall-wide; ``payments.view_reconciliation``): list with a progress
  bar, counts and the amount at stake; the change page is read only (summary, totals)
  with buttons 下载报表 CSV / Excel and 重新获取账单 (a new run through the channel's
  download); the list has 上传账单 (channel, date, file).
* 对账差异 — the queue, scoped by region: filters type / status / channel / date,
  exact search on our own numbers only; buttons 标记已处理 (a note), 向渠道查询, 提出调账.
* 调账申请 — approve / reject, never shown to the adjustment's proposer (the service
  refuses them as well).

Every button calls the service the API calls.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display
from unfold.forms import BaseDialogForm

from mall.core.admin import ReadOnlyModelAdmin, person_column, status_display, workflow_action
from mall.core.exceptions import ApplicationError
from mall.core.exports import XLSX_CONTENT_TYPE

from .. import permissions as perms
from .. import selectors
from ..models import Channel, Discrepancy, Reconciliation, ReconciliationAdjustment
from ..models.reconciliation import SUMMARY_KEYS
from .channel_funds import ChannelStatementUploadMixin

RC = Reconciliation.Status
D = Discrepancy.Status
AD = ReconciliationAdjustment.Status

RUN_COLOURS = {RC.QUEUED: "info", RC.RUNNING: "warning", RC.DONE: "success", RC.FAILED: "danger"}
DISCREPANCY_COLOURS = {
    D.HELD: "info",
    D.OPEN: "danger",
    D.CLEARED: "success",
    D.RESOLVED: "success",
    D.ADJUSTED: "primary",
}
ADJUSTMENT_COLOURS = {AD.PROPOSED: "warning", AD.APPROVED: "success", AD.REJECTED: "danger"}
# channels whose bills are reconciled (UnionPay's layout is not parsed; the balance is ours)
BILL_CHANNELS = [(c.value, c.label) for c in Channel if c.value not in ("unionpay", "balance")]


def _summary_labels() -> dict[str, str]:
    labels = {kind.value: str(kind.label) for kind in Discrepancy.Kind}
    labels["matched"] = str(_("matched"))
    return labels


# --- 对账批次 ----------------------------------------------------------------------------

UPLOAD_PAGE = engines["django"].from_string(
    """{% extends "admin/base_site.html" %}{% load i18n admin_urls %}
{% block breadcrumbs %}<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">{% translate 'Home' %}</a>
&rsaquo; <a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural }}</a>
&rsaquo; {{ title }}</div>{% endblock %}
{% block content %}<div id="content-main">
<p>{{ help }}</p>
<form method="post" enctype="multipart/form-data">{% csrf_token %}
{{ form.as_p }}
<input type="submit" value="{{ submit }}" class="default">
</form></div>{% endblock %}"""
)


class UploadForm(forms.Form):
    channel = forms.ChoiceField(label=_("payment channel"), choices=BILL_CHANNELS)
    bill_date = forms.DateField(
        label=_("bill date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(label=_("bill file"))


@admin.register(Reconciliation)
class ReconciliationAdmin(ChannelStatementUploadMixin, ReadOnlyModelAdmin):
    list_selector = selectors.reconciliation_list
    nav_group = "finance"
    nav_order = 60
    nav_icon = "rule"
    ordering = ["-bill_date", "-id"]
    list_filter = ["channel", "status", ("bill_date", DateFieldListFilter)]
    list_display = [
        "bill_date",
        "channel_label",
        status_display("status", RUN_COLOURS),
        "progress_bar",
        "matched_count",
        "open_count",
        "open_amount",
        "source",
    ]
    fields = [
        "kind",
        "channel",
        "sales_channel",
        "bill_date",
        "period_end",
        "source",
        "status",
        "progress_bar",
        "rows_done",
        "rows_total",
        "bill_name",
        "bill_sha256",
        "requested_by_name",
        "started_at",
        "finished_at",
        "error",
        "open_count",
        "open_amount",
        "summary_table",
        "totals_table",
        "superseded_by",
    ]
    readonly_fields = fields
    actions_list = ["upload_bill"]
    actions_detail = ["download_csv", "download_xlsx", "fetch_again"]

    requested_by_name = person_column("requested_by", _("started by"))

    @display(description=_("channel"))
    def channel_label(self, run):
        return run.get_channel_display() if run.channel else str(run.sales_channel or "")

    @display(description=_("progress (%)"))
    def progress_bar(self, run):
        return format_html(
            '<progress max="100" value="{}" style="width:6rem"></progress> {}%',
            run.progress,
            run.progress,
        )

    @display(description=_("matched"))
    def matched_count(self, run):
        return int((run.summary or {}).get("matched") or 0)

    @display(description=_("summary"))
    def summary_table(self, run):
        labels = _summary_labels()
        summary = run.summary or {}
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                ((labels[key], int(summary.get(key) or 0)) for key in SUMMARY_KEYS),
            ),
        )

    @display(description=_("totals"))
    def totals_table(self, run):
        from ..reconciliation.reports import totals_rows

        rows = totals_rows(run.totals or {})
        if not rows:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    # --- buttons ------------------------------------------------------------------------

    def _download(self, request, object_id, fmt: str):
        from ..reconciliation.reports import report

        run = self.get_object(request, object_id)
        if run is None:
            raise PermissionDenied
        try:
            content, filename = report(run, request.user, fmt)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:payments_reconciliation_change", args=[run.pk])
            )
        response = HttpResponse(
            content, content_type="text/csv; charset=utf-8" if fmt == "csv" else XLSX_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @action(
        description=_("Download report (CSV)"),
        url_path="download-csv",
        permissions=["export"],
        icon="download",
    )
    def download_csv(self, request, object_id):
        return self._download(request, object_id, "csv")

    @action(
        description=_("Download report (Excel)"),
        url_path="download-xlsx",
        permissions=["export"],
        icon="download",
    )
    def download_xlsx(self, request, object_id):
        return self._download(request, object_id, "xlsx")

    def has_export_permission(self, request, obj=None):
        return request.user.has_perms([perms.VIEW_RECONCILIATION, perms.EXPORT_RECONCILIATION])

    @workflow_action(
        description=_("Fetch the bill again"),
        permission=perms.RUN_RECONCILIATION,
        when=lambda run: (
            run.kind == Reconciliation.Kind.PAYMENT_BILL and run.status in (RC.DONE, RC.FAILED)
        ),
        confirm=_("Download this day's bill from the channel again and reconcile it anew?"),
        success=_("A new reconciliation of this bill has started."),
    )
    def fetch_again(self, request, run):
        from ..services.reconciliation import reconciliation_start  # the matcher's part

        reconciliation_start(actor=request.user, channel=run.channel, bill_date=run.bill_date)

    @action(
        description=_("Upload a bill"),
        url_path="upload",
        permissions=["run"],
        icon="upload_file",
    )
    def upload_bill(self, request):
        return HttpResponseRedirect(reverse("admin:payments_reconciliation_upload"))

    def has_run_permission(self, request, obj=None):
        return request.user.has_perms([perms.VIEW_RECONCILIATION, perms.RUN_RECONCILIATION])

    def get_urls(self):
        return [
            path(
                "upload-bill/",
                self.admin_site.admin_view(self.upload_view),
                name="payments_reconciliation_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        """Upload a channel's bill as downloaded from the merchant platform; the new
        run's page opens (its progress bar moves while it runs)."""
        if not self.has_run_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            from ..services.reconciliation import reconciliation_start

            try:
                run = reconciliation_start(
                    actor=request.user,
                    channel=form.cleaned_data["channel"],
                    bill_date=form.cleaned_data["bill_date"],
                    upload=form.cleaned_data["file"],
                )
            except ApplicationError as error:
                fields = getattr(error, "fields", None) or {}
                for name, messages_ in fields.items():
                    for text in messages_:
                        form.add_error(name if name in form.fields else None, str(text))
                if not fields:
                    form.add_error(None, str(error.message))
            else:
                self.message_user(request, _("The bill is being reconciled."), level=messages.INFO)
                return HttpResponseRedirect(
                    reverse("admin:payments_reconciliation_change", args=[run.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload a bill"),
            "help": _(
                "The channel's trade bill of one day, as downloaded from the merchant "
                "platform (WeChat Pay: trade bill, all; Alipay: 业务明细)."
            ),
            "submit": _("Upload and reconcile"),
            "opts": self.opts,
            "form": form,
        }
        return HttpResponse(UPLOAD_PAGE.render(context, request))


# --- 对账差异 ----------------------------------------------------------------------------


class NoteForm(BaseDialogForm):
    note = forms.CharField(
        label=_("resolution note"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done about it (checked with the channel, corrected …)."),
    )


class ProposeForm(BaseDialogForm):
    amount = forms.DecimalField(
        label=_("adjustment amount"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Signed, in yuan: + money we record as received, − the reverse."),
    )
    note = forms.CharField(
        label=_("reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(BaseDialogForm):
    note = forms.CharField(
        label=_("decision note"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.discrepancy_list
    nav_group = "finance"
    nav_order = 61
    nav_icon = "difference"
    ordering = ["-business_date", "-id"]
    # exact, on our own numbers only: never on anything masked
    search_fields = ["=transaction_no", "=refund_no"]
    search_help_text = _("Search by our transaction or refund number (exact).")
    list_filter = ["kind", "status", "channel", ("business_date", DateFieldListFilter)]
    list_display = [
        "business_date",
        "kind",
        status_display("status", DISCREPANCY_COLOURS),
        "channel",
        "transaction_no",
        "refund_no",
        "our_amount",
        "channel_amount",
        "difference_amount",
    ]
    fields = [
        "reconciliation",
        "kind",
        "status",
        "channel",
        "sales_channel",
        "business_date",
        "transaction_no",
        "refund_no",
        "channel_trade_no",
        "channel_refund_no",
        "our_amount",
        "channel_amount",
        "difference_amount",
        "region",
        "detail",
        "held_until",
        "resolution_note",
        "resolved_by_name",
        "resolved_at",
        "last_queried_at",
        "query_result",
    ]
    readonly_fields = fields
    actions_detail = ["resolve", "requery", "propose"]

    resolved_by_name = person_column("resolved_by", _("resolved by"))

    @workflow_action(
        description=_("Mark as resolved"),
        permission=perms.RESOLVE_DISCREPANCY,
        when=lambda row: row.status == D.OPEN,
        form_class=NoteForm,
        success=_("The discrepancy is resolved."),
    )
    def resolve(self, request, row, *, note):
        from ..services.discrepancies import discrepancy_resolve

        discrepancy_resolve(actor=request.user, discrepancy=row, note=note)

    @workflow_action(
        description=_("Ask the channel"),
        permission=perms.RESOLVE_DISCREPANCY,
        when=lambda row: (
            row.status in (D.OPEN, D.HELD)
            and (row.transaction_id is not None or row.refund_id is not None)
        ),
        confirm=_("Ask the channel about this payment or refund now and apply its answer?"),
        success=_("The channel's answer is recorded."),
    )
    def requery(self, request, row):
        from ..services.discrepancies import discrepancy_requery

        discrepancy_requery(actor=request.user, discrepancy=row)

    @workflow_action(
        description=_("Propose an adjustment"),
        permission=perms.PROPOSE_ADJUSTMENT,
        when=lambda row: row.status == D.OPEN,
        form_class=ProposeForm,
        success=_("The adjustment is waiting for another finance user's approval."),
    )
    def propose(self, request, row, *, amount, note):
        from ..services.discrepancies import adjustment_propose

        adjustment_propose(actor=request.user, discrepancy=row, amount=amount, note=note)


# --- 调账申请 ----------------------------------------------------------------------------


def _decidable(row, user) -> bool:
    return row.status == AD.PROPOSED and row.proposed_by_id != user.pk


@admin.register(ReconciliationAdjustment)
class ReconciliationAdjustmentAdmin(ReadOnlyModelAdmin):
    list_selector = selectors.adjustment_list
    nav_group = "finance"
    nav_order = 62
    nav_icon = "approval"
    ordering = ["-id"]
    list_filter = ["status"]
    list_display = [
        "id",
        "discrepancy",
        "amount",
        status_display("status", ADJUSTMENT_COLOURS),
        "proposed_by_name",
        "decided_by_name",
        "created_at",
    ]
    fields = [
        "discrepancy",
        "amount",
        "note",
        "status",
        "proposed_by_name",
        "decided_by_name",
        "decided_at",
        "decision_note",
        "ledger_reference",
        "created_at",
    ]
    readonly_fields = fields
    actions_detail = ["approve", "reject"]

    proposed_by_name = person_column("proposed_by", _("proposed by"))
    decided_by_name = person_column("decided_by", _("decided by"))

    @workflow_action(
        description=_("Approve"),
        permission=perms.APPROVE_ADJUSTMENT,
        when=_decidable,
        form_class=DecisionForm,
        success=_("The adjustment is approved."),
    )
    def approve(self, request, row, *, note=""):
        from ..services.discrepancies import adjustment_approve

        adjustment_approve(actor=request.user, adjustment=row, note=note)

    @workflow_action(
        description=_("Reject"),
        permission=perms.APPROVE_ADJUSTMENT,
        when=_decidable,
        reason=True,
        success=_("The adjustment is rejected."),
    )
    def reject(self, request, row, *, reason):
        from ..services.discrepancies import adjustment_reject

        adjustment_reject(actor=request.user, adjustment=row, note=reason)
