"""The audit chain's HMAC key comes from the environment, is rotatable, and production
refuses to start without one."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from mall.core.audit import audit
from ops.audit_chain import audit_chain_verify, audit_entries_seal
from ops.audit_keys import audit_key_ring, parse_keys
from ops.checks import audit_keys_check
from ops.models import AuditEntry


def key(key_id: str, fill: bytes) -> str:
    return f"{key_id}:{base64.b64encode(fill * 32).decode()}"


def test_entries_sealed_under_an_old_key_still_verify_after_rotation(db, superuser, settings):
    settings.AUDIT_HMAC_KEYS = [key("k1", b"1")]
    audit(actor=superuser, action="test.before_rotation")
    audit_entries_seal()
    settings.AUDIT_HMAC_KEYS = [key("k2", b"2"), key("k1", b"1")]  # new key first
    audit(actor=superuser, action="test.after_rotation")
    audit_entries_seal()

    assert list(AuditEntry.objects.order_by("seq").values_list("key_id", flat=True)) == [
        "k1",
        "k2",
    ]
    assert audit_chain_verify().ok

    settings.AUDIT_HMAC_KEYS = [key("k2", b"2")]  # the old key dropped too early
    report = audit_chain_verify()
    assert (report.ok, report.broken_seq, report.problem) == (False, 1, "unknown key id 'k1'")


def test_the_same_content_under_another_key_does_not_verify(db, superuser, settings):
    settings.AUDIT_HMAC_KEYS = [key("k1", b"1")]
    audit(actor=superuser, action="test.write")
    audit_entries_seal()
    settings.AUDIT_HMAC_KEYS = [key("k1", b"X")]  # same id, another secret

    assert audit_chain_verify().problem == "content does not match its hash"


def test_without_keys_outside_production_a_key_is_derived_and_said_so(settings, capsys, db):
    settings.AUDIT_HMAC_KEYS = []
    settings.SECURE = False
    ring = audit_key_ring()
    assert (ring.current_id, ring.derived) == ("dev", True)
    call_command("audit_verify")
    assert "derived from SECRET_KEY" in capsys.readouterr().out


def test_production_refuses_to_run_without_a_key(settings):
    settings.AUDIT_HMAC_KEYS = []
    settings.SECURE = True

    assert [error.id for error in audit_keys_check()] == ["ops.E001"]
    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEYS must be set"):
        audit_key_ring()

    settings.AUDIT_HMAC_KEYS = [key("prod1", b"p")]
    assert audit_keys_check() == []
    assert audit_key_ring().current_id == "prod1"


@pytest.mark.parametrize(
    "entry",
    [
        "no-separator",
        "bad id:" + base64.b64encode(b"k" * 32).decode(),
        "short:" + base64.b64encode(b"k" * 16).decode(),
        "dev:" + base64.b64encode(b"k" * 32).decode(),
        "k1:not base64!",
    ],
)
def test_malformed_keys_are_a_configuration_error(entry, settings):
    with pytest.raises(ImproperlyConfigured):
        parse_keys([entry])
    settings.AUDIT_HMAC_KEYS = [entry]
    assert [error.id for error in audit_keys_check()] == ["ops.E002"]


def test_a_new_key_entry_can_be_generated(capsys):
    call_command("audit_verify", "--generate-key", "k7")
    generated = capsys.readouterr().out.strip()
    assert parse_keys([generated])[0][0] == "k7"
