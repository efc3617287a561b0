"""数据报表 → 报表订阅: each reader's own subscriptions to report kinds.

Adding calls ``subscription_create`` (only readers who may download reports: scope
"all" and ``reports.view_report``), deleting ``subscription_delete``; the list shows the
reader's own rows (``selectors.subscription_list``). A subscriber gets a notice in their
inbox (通知) with the download link whenever a report of the kind is generated.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ServiceModelAdmin

from .. import selectors
from ..models import ReportKind, ReportSubscription
from ..services import subscription_create, subscription_delete


class SubscriptionForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("report kind"), choices=ReportKind.choices)

    class Meta:
        model = ReportSubscription
        fields = ["kind"]


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ServiceModelAdmin):
    nav_group = "reports"
    nav_order = 30
    nav_icon = "mark_email_unread"
    list_selector = selectors.subscription_list
    form = SubscriptionForm
    list_display = ["kind", "created_at"]
    fields = ["kind"]
    ordering = ["kind", "id"]

    def _may(self, request) -> bool:
        return selectors.may_read_reports(actor=request.user)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request)

    def has_add_permission(self, request):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self._may(request) and (obj is None or obj.user_id == request.user.pk)

    def get_actions(self, request):
        return {}

    def save_with_service(self, request, obj, form, change):
        return subscription_create(actor=request.user, kind=form.cleaned_data["kind"])

    def delete_model(self, request, obj):
        subscription_delete(actor=request.user, subscription=obj)
