"""Audit of logins, logouts and failed logins (admin and API alike)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit_chain import audit_entry_record


def _channel(request) -> str:
    path = getattr(request, "path", "") or ""
    return "api" if path.startswith("/api/") else "admin"


@receiver(user_logged_in, dispatch_uid="ops_audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_entry_record(
        actor=user,
        action="auth.login",
        object_type="auth.user",
        object_id=str(user.pk),
        data={"channel": _channel(request)},
    )


@receiver(user_logged_out, dispatch_uid="ops_audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is None:
        return
    audit_entry_record(
        actor=user,
        action="auth.logout",
        object_type="auth.user",
        object_id=str(user.pk),
        data={"channel": _channel(request)},
    )


@receiver(user_login_failed, dispatch_uid="ops_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit_entry_record(
        actor=None,
        action="auth.login_failed",
        object_type="auth.user",
        data={"username": username, "channel": _channel(request)},
    )
