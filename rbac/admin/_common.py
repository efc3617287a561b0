"""Pieces shared by the RBAC admin screens."""

from __future__ import annotations

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


def grantable_permissions():
    return Permission.objects.exclude(
        content_type__app_label__in=["admin", "contenttypes", "sessions"]
    ).select_related("content_type")
