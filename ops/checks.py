"""System checks of the ops app."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .audit_keys import parse_keys


def audit_keys_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """In production (``DJANGO_SECURE=1``) a real audit chain key must be configured."""
    errors: list[checks.CheckMessage] = []
    try:
        parsed = parse_keys(list(settings.AUDIT_HMAC_KEYS))
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="ops.E002")]
    if settings.SECURE and not parsed:
        errors.append(
            checks.Error(
                "AUDIT_HMAC_KEYS must be set in production; the audit chain would "
                "otherwise be sealed with a key derived from SECRET_KEY.",
                hint="Generate a key with `manage.py audit_verify --generate-key a1`.",
                id="ops.E001",
            )
        )
    return errors
