"""财务 → 上传渠道结算单: finance uploads a sales channel's statement for a period.

The page is a form (sales channel — only the channels the reader may work on —,
period, file) that calls ``statement_start``, the same service as the API; a refusal
(not found, period, file, one in flight) is shown on the form. After the upload the
run's page opens when the reconciliation admin is there (对账批次), else the form again
with a notice.

The admin hangs custom pages on a model admin's ``get_urls``: the page is
:class:`ChannelStatementUploadMixin`, on the runs' admin (对账批次,
``payments/admin/reconciliation.py``); the sidebar entry is a navigation link in 财务.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.exceptions import ApplicationError
from mall.core.navigation import Link, register_link

from .. import permissions as perms

URL_NAME = "payments_channel_statement_upload"

# The page (kept beside its view; it is only this form).
PAGE = """{% extends "admin/base_site.html" %}
{% load i18n %}
{% block breadcrumbs %}
<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">{% translate 'Home' %}</a> &rsaquo; {{ title }}
</div>
{% endblock %}
{% block content %}
<div id="content-main">
<p>{{ help }}</p>
<form method="post" enctype="multipart/form-data" novalidate>
  {% csrf_token %}
  {{ form.as_p }}
  <input type="submit" value="{{ button }}" class="default">
</form>
</div>
{% endblock %}
"""


class StatementUploadForm(forms.Form):
    sales_channel = forms.ModelChoiceField(label=_("sales channel"), queryset=None)
    period_start = forms.DateField(
        label=_("period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("period end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    file = forms.FileField(label=_("statement file (CSV)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from orders.selectors import channel_list

        # only the channels the reader may work on (a foreign channel is never named)
        self.fields["sales_channel"].queryset = channel_list(actor=user).order_by("code")
        if not self.is_bound:
            first = timezone.localdate().replace(day=1)
            last_month_end = first - timedelta(days=1)
            self.initial.update(
                period_start=last_month_end.replace(day=1), period_end=last_month_end
            )


def _error_text(exc: ApplicationError) -> str:
    problems = [str(problem) for values in exc.fields.values() for problem in values]
    return " ".join(problems) or exc.message


def may_upload(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(perms.RUN_RECONCILIATION))


class ChannelStatementUploadMixin:
    """Adds the page ``admin:payments_channel_statement_upload`` to a model admin."""

    def get_urls(self):
        custom = [
            path(
                "channel-statement/upload/",
                self.admin_site.admin_view(self.statement_upload_view),
                name=URL_NAME,
            )
        ]
        return custom + super().get_urls()

    def statement_upload_view(self, request):
        """Show the form; on a valid POST start the run through ``statement_start``."""
        from ..services.channel_funds import statement_start

        if not may_upload(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = statement_start(
                    actor=request.user,
                    sales_channel=data["sales_channel"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    upload=data["file"],
                )
            except ApplicationError as exc:
                field = next((name for name in exc.fields if name in form.fields), None)
                form.add_error(field, _error_text(exc))
            else:
                self.message_user(
                    request,
                    _("The statement is being reconciled; the run shows its progress."),
                    level=messages.SUCCESS,
                )
                try:
                    target = reverse("admin:payments_reconciliation_change", args=[run.pk])
                except NoReverseMatch:
                    target = reverse(f"admin:{URL_NAME}")
                return HttpResponseRedirect(target)
        context = {
            **self.admin_site.each_context(request),
            "title": UPLOAD_TITLE,
            "help": _(
                "The channel's settlement statement as CSV (UTF-8): 日期,流水号,类型,金额,备注; "
                "类型 结算/退款/调整/提现, amounts signed like the balance ledger; an optional "
                "合计 line and 期末余额 line. The period is at most 31 days and must have ended."
            ),
            "button": _("Upload and reconcile"),
            "form": form,
        }
        page = engines["django"].from_string(PAGE)
        return TemplateResponse(request, page, context)


UPLOAD_TITLE = pgettext_lazy("admin navigation", "Upload a channel statement")


register_link(
    Link(
        "finance",
        UPLOAD_TITLE,
        f"admin:{URL_NAME}",
        icon="upload_file",
        order=65,
        visible=may_upload,
    )
)
