"""Adapters are chosen in settings; production never records instead of sending."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from members import notifications as adapters
from members.checks import notification_adapters_check
from members.services import notification_deliver, notification_enqueue

ROOT = Path(__file__).resolve().parents[2]
REAL = {
    "sms": "members.notifications.AliyunSmsAdapter",
    "email": "members.notifications.DjangoEmailAdapter",
}


@pytest.fixture(autouse=True)
def _no_registered_adapters():
    adapters.reset_adapters()
    yield
    adapters.reset_adapters()


def _production_env(**extra: str) -> dict[str, str]:
    key = base64.b64encode(b"k" * 32).decode()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NOTIFICATION_", "SMS_", "EMAIL_", "DJANGO_", "MALL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mall.settings",
        DJANGO_SECURE="1",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="mall.example.com",
        PII_ENCRYPTION_KEYS=f"k1:{key}",
        PII_LOOKUP_KEY=key,
        AUDIT_HMAC_KEYS=f"a1:{key}",
        SMS_ACCESS_KEY_ID="LTAI-test",
        SMS_ACCESS_KEY_SECRET="s" * 30,
        SMS_SIGN_NAME="商城",
    )
    env.update(extra)
    return env


def _deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_default_to_real_adapters_and_pass_the_deploy_check():
    result = _deploy_check(_production_env())
    assert "members.E01" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stderr


def test_the_deploy_check_refuses_the_recording_adapter_in_production():
    result = _deploy_check(
        _production_env(NOTIFICATION_SMS_ADAPTER="members.notifications.RecordingAdapter")
    )
    assert result.returncode != 0
    assert "members.E010" in result.stderr


def test_recording_is_refused_for_any_channel_when_secure(settings):
    settings.SECURE = True
    settings.NOTIFICATION_ADAPTERS = {**REAL, "in_app": "members.notifications.RecordingAdapter"}
    settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET = "id", "secret"
    settings.SMS_SIGN_NAME = "商城"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert [error.id for error in notification_adapters_check()] == ["members.E010"]
    settings.NOTIFICATION_ADAPTERS = {**REAL, "in_app": ""}
    assert notification_adapters_check() == []


def test_the_sms_adapter_without_credentials_is_refused_when_secure(settings):
    settings.SECURE = True
    settings.NOTIFICATION_ADAPTERS = {"sms": REAL["sms"]}
    settings.SMS_ACCESS_KEY_SECRET = ""
    assert [error.id for error in notification_adapters_check()] == ["members.E012"]


def test_an_email_backend_that_delivers_nothing_is_refused_when_secure(settings):
    settings.SECURE = True
    settings.NOTIFICATION_ADAPTERS = {"email": REAL["email"]}
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [error.id for error in notification_adapters_check()] == ["members.E013"]


def test_an_adapter_path_that_does_not_import_is_refused_when_secure(settings):
    settings.SECURE = True
    settings.NOTIFICATION_ADAPTERS = {"sms": "members.notifications.NoSuchAdapter"}
    assert [error.id for error in notification_adapters_check()] == ["members.E011"]


def test_development_settings_may_record(settings):
    settings.SECURE = False
    settings.NOTIFICATION_ADAPTERS = {"sms": "members.notifications.RecordingAdapter"}
    assert notification_adapters_check() == []


def test_a_channel_without_an_adapter_fails_instead_of_pretending(settings, member):
    settings.NOTIFICATION_ADAPTERS = {**REAL, "in_app": ""}
    notification = notification_enqueue(
        actor=None, member=member, kind="benefit", channel="in_app", payload={}
    )
    delivered = notification_deliver(actor=None, notification_id=notification.pk)
    assert (delivered.status, delivered.attempts) == ("failed", 1)
    assert delivered.last_error == "no delivery adapter configured for channel 'in_app'"
    assert delivered.sent_at is None


def test_the_configured_adapter_serves_its_channel(settings, member):
    settings.NOTIFICATION_ADAPTERS = {"email": REAL["email"]}
    notification = notification_enqueue(
        actor=None,
        member=member,
        kind="order",
        channel="email",
        payload={"email": "li@example.com", "subject": "订单已发货", "text": "您的订单已发货"},
    )
    delivered = notification_deliver(actor=None, notification_id=notification.pk)
    assert delivered.status == "sent"
    assert delivered.provider_message_id.startswith("email-")
    [sent] = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (
        ["li@example.com"],
        "订单已发货",
        "您的订单已发货",
    )
