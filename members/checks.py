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
