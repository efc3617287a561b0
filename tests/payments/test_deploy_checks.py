"""Production settings refuse the sandbox channel and a missing https callback base."""

from __future__ import annotations

from payments.checks import payment_channels_check


def _ids(settings) -> list[str]:
    return sorted(message.id for message in payment_channels_check())


def test_development_settings_pass(settings):
    settings.SECURE = False
    settings.PAYMENT_GATEWAYS = {"sandbox": {"secret": "x"}}
    assert _ids(settings) == []


def test_the_sandbox_with_production_settings_is_an_error(settings):
    settings.SECURE = True
    settings.PAYMENT_GATEWAYS = {"sandbox": {"secret": "x"}, "balance": {}}
    assert _ids(settings) == ["payments.E001"]


def test_a_real_channel_needs_a_public_https_callback_base(settings):
    settings.SECURE = True
    settings.PAYMENT_GATEWAYS = {"wechat": {"mch_id": "1"}, "balance": {}}
    settings.PAYMENT_NOTIFY_BASE_URL = ""
    assert _ids(settings) == ["payments.E002"]
    settings.PAYMENT_NOTIFY_BASE_URL = "http://mall.example.com"
    assert _ids(settings) == ["payments.E002"]
    settings.PAYMENT_NOTIFY_BASE_URL = "https://mall.example.com"
    assert _ids(settings) == []
