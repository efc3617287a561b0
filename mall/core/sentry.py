"""Optional error reporting to Sentry, switched on by ``SENTRY_DSN`` (mall/settings.py).

Web requests and Celery tasks report unhandled exceptions. Personal data is not sent:
no user ids, IP addresses, cookies or request bodies (``send_default_pii=False``,
``max_request_body_size="never"``) — members' phone numbers and addresses must not
leave the deployment. Performance tracing is off unless
``SENTRY_TRACES_SAMPLE_RATE`` is set.
"""

from __future__ import annotations

import os


def sentry_options(dsn: str) -> dict:
    """Return the keyword arguments ``sentry_sdk.init`` is called with."""
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    return {
        "dsn": dsn,
        "environment": os.environ.get("SENTRY_ENVIRONMENT", "production"),
        "release": os.environ.get("SENTRY_RELEASE") or None,
        "send_default_pii": False,
        "max_request_body_size": "never",
        "traces_sample_rate": float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
        "integrations": [DjangoIntegration(), CeleryIntegration()],
    }


def sentry_init(dsn: str) -> None:
    import sentry_sdk

    sentry_sdk.init(**sentry_options(dsn))
