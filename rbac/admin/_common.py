"""Pieces shared by the RBAC admin screens."""

from __future__ import annotations

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


class ListSelectorMixin:
    """An admin whose rows come from the app's list selector (``list_selector``).

    The selector applies the data scope and loads what the screen shows, so the
    changelist, change, history and delete views and the actions read exactly what
    the API reads. Put it before ``ServiceModelAdmin`` in the bases.
    """

    list_selector = None  # (*, actor) -> QuerySet

    def get_queryset(self, request):
        queryset = type(self).list_selector(actor=request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset


def grantable_permissions():
    return Permission.objects.exclude(
        content_type__app_label__in=["admin", "contenttypes", "sessions"]
    ).select_related("content_type")
