"""System checks of the members app."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import crypto


def pii_keys_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production (``DJANGO_SECURE=1``) real PII keys must be configured and valid."""
    errors: list[checks.CheckMessage] = []
    try:
        crypto.parse_keys(list(settings.PII_ENCRYPTION_KEYS))
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="members.E002"))
    if settings.SECURE and not crypto.keys_configured():
        errors.append(
            checks.Error(
                "PII_ENCRYPTION_KEYS and PII_LOOKUP_KEY must be set in production; "
                "members' personal data would otherwise be encrypted with keys derived "
                "from SECRET_KEY.",
                hint="Generate a key with `manage.py rotate_pii_key --generate-key k1`.",
                id="members.E001",
            )
        )
    return errors


# Mail backends that keep the message on this machine instead of handing it to a server.
_NON_DELIVERING_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}


def notification_adapters_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production no channel may pretend to deliver (docs/MEMBERS.md §7).

    members.E010: a channel uses the recording adapter; E011: an adapter path does not
    import; E012: the SMS adapter lacks credentials or a signature name; E013: the e-mail
    adapter writes to a backend that delivers nothing.
    """
    from django.utils.module_loading import import_string

    from .notifications import AliyunSmsAdapter, DjangoEmailAdapter, RecordingAdapter

    if not settings.SECURE:
        return []
    errors: list[checks.CheckMessage] = []
    for channel, path in sorted((getattr(settings, "NOTIFICATION_ADAPTERS", {}) or {}).items()):
        if not path:
            continue
        try:
            adapter_class = import_string(path)
        except ImportError as exc:
            errors.append(
                checks.Error(
                    f"NOTIFICATION_ADAPTERS[{channel!r}] = {path!r} cannot be imported: {exc}",
                    id="members.E011",
                )
            )
            continue
        if issubclass(adapter_class, RecordingAdapter):
            errors.append(
                checks.Error(
                    f"Notifications on channel {channel!r} would be recorded, not sent, and "
                    "still be marked sent.",
                    hint="Configure a real adapter (NOTIFICATION_ADAPTERS, docs/MEMBERS.md §7) "
                    "or none for the channel.",
                    id="members.E010",
                )
            )
        if issubclass(adapter_class, AliyunSmsAdapter) and not (
            settings.SMS_ACCESS_KEY_ID and settings.SMS_ACCESS_KEY_SECRET and settings.SMS_SIGN_NAME
        ):
            errors.append(
                checks.Error(
                    "SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET and SMS_SIGN_NAME must be set "
                    f"for the Alibaba Cloud SMS adapter of channel {channel!r}.",
                    id="members.E012",
                )
            )
        if (
            issubclass(adapter_class, DjangoEmailAdapter)
            and settings.EMAIL_BACKEND in _NON_DELIVERING_MAIL_BACKENDS
        ):
            errors.append(
                checks.Error(
                    f"EMAIL_BACKEND {settings.EMAIL_BACKEND!r} delivers no e-mail; the e-mail "
                    f"adapter of channel {channel!r} would mark unsent messages sent.",
                    hint="Use the SMTP backend (EMAIL_HOST, EMAIL_PORT, …).",
                    id="members.E013",
                )
            )
    return errors
