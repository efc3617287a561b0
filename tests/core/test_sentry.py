"""Sentry reports errors only when SENTRY_DSN is set, and never with personal data."""

from __future__ import annotations

import os
import subprocess
import sys

from mall.core.sentry import sentry_options


def test_sentry_is_told_not_to_send_personal_data_or_request_bodies():
    options = sentry_options("https://public@sentry.example.com/1")

    assert options["send_default_pii"] is False
    assert options["max_request_body_size"] == "never"
    assert options["traces_sample_rate"] == 0
    names = {type(integration).__name__ for integration in options["integrations"]}
    assert names == {"DjangoIntegration", "CeleryIntegration"}


def run_settings(extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env.update(extra, DJANGO_SETTINGS_MODULE="mall.settings")
    code = (
        "import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(c.is_active(), c.options.get('send_default_pii'), c.options.get('environment'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_without_a_dsn_nothing_is_reported():
    assert run_settings({}).startswith("False")


def test_with_a_dsn_the_settings_start_sentry_for_the_configured_environment():
    reported = run_settings(
        {"SENTRY_DSN": "https://public@sentry.example.com/1", "SENTRY_ENVIRONMENT": "staging"}
    )
    assert reported == "True False staging"
