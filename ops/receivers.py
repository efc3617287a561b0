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


# --- the inbox for rbac's permission requests (hooks rbac offers) ----------------------

PERMISSION_REQUEST_WAITING = "rbac.permission_request_waiting"


def permission_request_opened(*, actor, permission_request, approver_ids) -> None:
    """Tell each approver a permission request waits (``subject`` = the request)."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from mall.core.people import person_name

    from .services.notifications import staff_notify

    staff_notify(
        actor=actor,
        recipients=approver_ids,
        kind=PERMISSION_REQUEST_WAITING,
        title=gettext("Permission request waiting for approval: %(person)s asks for %(role)s")
        % {
            "person": person_name(permission_request.requester),
            "role": permission_request.role.name,
        },
        body=permission_request.reason,
        link=reverse("admin:rbac_permissionrequest_change", args=[permission_request.pk]),
        subject=permission_request,
    )


def permission_request_closed(*, actor, permission_request) -> None:
    """The request is decided, withdrawn or expired: resolve its notices."""
    from .services.notifications import notifications_resolve

    notifications_resolve(
        actor=actor, subject=permission_request, kinds=[PERMISSION_REQUEST_WAITING]
    )


def permission_request_approved_once(*, actor, permission_request) -> None:
    """A first approval: the approver's own notice is done work; the other stays open."""
    from .services.notifications import notifications_resolve

    notifications_resolve(
        actor=actor,
        subject=permission_request,
        kinds=[PERMISSION_REQUEST_WAITING],
        recipients=[actor],
    )


def _provide_rbac_hooks() -> None:
    from mall.core.hooks import provide
    from rbac.services.requests import REQUEST_APPROVED_ONCE, REQUEST_CLOSED, REQUEST_OPENED

    provide(REQUEST_OPENED, "ops.inbox", permission_request_opened)
    provide(REQUEST_CLOSED, "ops.inbox", permission_request_closed)
    provide(REQUEST_APPROVED_ONCE, "ops.inbox", permission_request_approved_once)


_provide_rbac_hooks()
