"""营销 → 活动效果, 秒杀效果: campaign and flash-sale session figures.

* The lists show every campaign / session (promotions are national) with their window
  and status; the figures are read on the change page only.
* The change page is the **live page**: the figures (``orders.promotions.results``,
  in the reader's data scope: a regional ops user sees their regions' orders only),
  a session's per-SKU rows (sold, remaining, GMV). While the promotion runs, the page
  reloads itself every ``REFRESH_SECONDS`` (a meta refresh, no script from outside).
* 下载复盘报表 — the review report (Excel), during and after the promotion; needs
  ``orders.export_promotion_results`` and is audited (``promotion_results.export``).

Viewing needs ``orders.view_promotion_results`` (not the campaign's own view
permission: the figures are another right than the campaign's terms).
"""

from __future__ import annotations

from contextvars import ContextVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action, display

from mall.core.admin import ReadOnlyModelAdmin, status_display
from mall.core.exceptions import ApplicationError
from mall.core.exports import XLSX_CONTENT_TYPE

from ..models import ApprovalStatus, CampaignResult, FlashSessionResult
from ..promotions import results

REFRESH_SECONDS = 60

# The reader of the change page being rendered (the figures are read in their scope).
_reader: ContextVar = ContextVar("promotion_results_reader", default=None)

STATUS_COLOURS = {
    ApprovalStatus.DRAFT: "info",
    ApprovalStatus.PENDING_APPROVAL: "warning",
    ApprovalStatus.APPROVED: "primary",
    ApprovalStatus.RUNNING: "success",
    ApprovalStatus.ENDED: "info",
    ApprovalStatus.CANCELLED: "danger",
}

# The change page, refreshing itself while the promotion runs.
LIVE_PAGE = engines["django"].from_string(
    """{% extends "admin/change_form.html" %}
{% block extrahead %}{{ block.super }}{% if refresh_seconds %}
<meta http-equiv="refresh" content="{{ refresh_seconds }}">{% endif %}{% endblock %}"""
)


def _cell(value) -> str:
    """A figure on the page: money and ratios with grouping, a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, force_grouping=True)
    if hasattr(value, "quantize"):
        return "¥" + formats.number_format(value, 2, force_grouping=True)
    return str(value)


class _ResultAdmin(ReadOnlyModelAdmin):
    nav_group = "marketing"
    ordering = ["-starts_at", "-id"]
    list_filter = ["status"]
    search_fields = ["name"]
    actions_detail = ["download_report"]
    change_form_template = LIVE_PAGE

    # --- permissions ------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        return results.may_view_results(actor=request.user)

    def has_module_permission(self, request):
        return results.may_view_results(actor=request.user)

    def has_export_permission(self, request, obj=None):
        return results.may_export_results(actor=request.user)

    # --- the live page ----------------------------------------------------------------

    def _figures(self, obj):
        request = _reader.get()
        if request is None:  # rendered outside the change view: nothing to show
            raise PermissionDenied
        cache = request.__dict__.setdefault("_promotion_figures", {})
        key = (obj._meta.concrete_model, obj.pk)
        if key not in cache:
            cache[key] = results.promotion_figures(actor=request.user, promotion=obj)
        return cache[key]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and obj.status == ApprovalStatus.RUNNING:
            extra_context["refresh_seconds"] = REFRESH_SECONDS
        token = _reader.set(request)
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        finally:
            _reader.reset(token)
        return response

    @display(description=_("figures"))
    def figures_table(self, obj):
        figures = self._figures(obj)
        return format_html(
            '<table class="promotion-figures">{}</table><p>{}</p>',
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                ((label, _cell(value)) for label, value in results.figure_rows(figures)),
            ),
            _("Figures of the orders in your data scope, read at %(time)s.")
            % {"time": formats.date_format(figures.read_at, "DATETIME_FORMAT")},
        )

    # --- buttons ----------------------------------------------------------------------

    @action(
        description=_("Download the review report (Excel)"),
        url_path="download-review",
        permissions=["export"],
        icon="download",
    )
    def download_report(self, request, object_id):
        promotion = self.get_object(request, object_id)
        if promotion is None or not self.has_view_permission(request, promotion):
            raise PermissionDenied
        try:
            content, filename = results.review_report(actor=request.user, promotion=promotion)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[promotion.pk])
            )
        response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@admin.register(CampaignResult)
class CampaignResultAdmin(_ResultAdmin):
    nav_order = 30
    nav_icon = "insights"
    list_display = [
        "name",
        "kind",
        status_display("status", STATUS_COLOURS),
        "starts_at",
        "ends_at",
    ]
    list_filter = ["status", "kind"]
    fields = ["name", "kind", "status", "starts_at", "ends_at", "figures_table"]


@admin.register(FlashSessionResult)
class FlashSessionResultAdmin(_ResultAdmin):
    nav_order = 31
    nav_icon = "bolt"
    list_display = [
        "name",
        status_display("status", STATUS_COLOURS),
        "starts_at",
        "ends_at",
    ]
    fields = ["name", "status", "starts_at", "ends_at", "figures_table", "sku_table"]

    @display(description=_("SKUs"))
    def sku_table(self, obj):
        figures = self._figures(obj)
        header = results.sku_header(figures)
        return format_html(
            "<table><tr>{}</tr>{}</table>",
            format_html_join("", "<th>{}</th>", ((text,) for text in header)),
            format_html_join(
                "",
                "<tr>{}</tr>",
                (
                    (
                        format_html_join(
                            "", "<td>{}</td>", ((_cell(value),) for value in results.sku_row(sku))
                        ),
                    )
                    for sku in figures.skus
                ),
            ),
        )
