"""Personal data is encrypted at rest, keys rotate, and phones are found by lookup hash."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from mall.core.actors import system_actor
from members import crypto
from members.models import Address, Member
from members.selectors import member_get_by_phone

KEY_A = "ka:" + base64.b64encode(b"a" * 32).decode()
KEY_B = "kb:" + base64.b64encode(b"b" * 32).decode()


def raw_rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_raw_member_and_address_columns_hold_no_plaintext(make_member):
    member = make_member("13911112222", name="王大锤", province="上海")
    Member.objects.filter(pk=member.pk).update(
        id_number_encrypted=crypto.encrypt("310101199001011234", context="member.id_number")
    )
    everything = " ".join(
        str(value)
        for row in raw_rows("SELECT * FROM members_member")
        + raw_rows("SELECT * FROM members_address")
        for value in row
    )
    for secret in ("13911112222", "王大锤", "310101199001011234", "幸福路", "张三"):
        assert secret not in everything
    reloaded = Member.objects.get(pk=member.pk)
    assert reloaded.phone == "13911112222"
    assert reloaded.name == "王大锤"
    assert reloaded.id_number == "310101199001011234"
    assert Address.objects.get(member=member).detail == "幸福路 1 号"


def test_same_phone_encrypts_differently_each_time_but_hashes_the_same():
    first = crypto.encrypt("13911112222", context="member.phone")
    second = crypto.encrypt("13911112222", context="member.phone")
    assert first != second
    assert crypto.lookup_hash("13911112222") == crypto.lookup_hash("13911112222")


def test_a_value_moved_to_another_column_does_not_decrypt():
    token = crypto.encrypt("13911112222", context="member.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="member.name")


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("13911112222", context="member.phone")
    key_id, _, body = token.partition(":")
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{key_id}:{base64.b64encode(bytes(raw)).decode()}", context="member.phone")


def test_members_are_found_by_full_phone_only(make_member):
    member = make_member("13911112222")
    make_member("13911113333")
    assert member_get_by_phone(actor=system_actor(), phone="139 1111 2222") == member
    assert member_get_by_phone(actor=system_actor(), phone="+8613911112222") == member
    assert member_get_by_phone(actor=system_actor(), phone="1391111") is None
    assert member_get_by_phone(actor=system_actor(), phone="not a phone") is None


def test_rotation_reencrypts_every_row_under_the_new_key_and_keeps_the_data(make_member):
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_A], PII_LOOKUP_KEY="lookup"):
        members = [
            make_member(f"1390000{i:04d}", name=f"会员{i}", province="广东") for i in range(5)
        ]
        assert {
            row[0].split(":")[0] for row in raw_rows("SELECT phone_encrypted FROM members_member")
        } == {"ka"}
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_B, KEY_A], PII_LOOKUP_KEY="lookup"):
        # Old rows still read while the new key is first.
        assert Member.objects.get(pk=members[0].pk).phone == "13900000000"
        call_command("rotate_pii_key", batch_size=2, stdout=io.StringIO())
        for table, columns in (
            ("members_member", ("phone_encrypted", "name_encrypted")),
            ("members_address", ("recipient_encrypted", "phone_encrypted", "detail_encrypted")),
        ):
            for row in raw_rows(f"SELECT {', '.join(columns)} FROM {table}"):
                assert all(value.startswith("kb:") for value in row if value)
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_B], PII_LOOKUP_KEY="lookup"):
        # The old key can go: everything decrypts with the new key alone.
        for index, member in enumerate(members):
            reloaded = Member.objects.get(pk=member.pk)
            assert reloaded.phone == f"1390000{index:04d}"
            assert reloaded.name == f"会员{index}"
            assert Address.objects.get(member=member).detail == "幸福路 1 号"
        assert member_get_by_phone(actor=system_actor(), phone="13900000003") == members[3]


def test_rehash_after_a_lookup_key_change_keeps_phone_search_working(make_member):
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_A], PII_LOOKUP_KEY="old"):
        member = make_member("13911112222")
    with override_settings(PII_ENCRYPTION_KEYS=[KEY_A], PII_LOOKUP_KEY="new"):
        assert member_get_by_phone(actor=system_actor(), phone="13911112222") is None
        call_command("rotate_pii_key", rehash=True, stdout=io.StringIO())
        assert member_get_by_phone(actor=system_actor(), phone="13911112222") == member


def test_deploy_check_fails_in_production_without_keys():
    from members.checks import pii_keys_check

    with override_settings(SECURE=True, PII_ENCRYPTION_KEYS=[], PII_LOOKUP_KEY=""):
        assert [error.id for error in pii_keys_check()] == ["members.E001"]
    with override_settings(SECURE=True, PII_ENCRYPTION_KEYS=[KEY_A], PII_LOOKUP_KEY="x"):
        assert pii_keys_check() == []
    with override_settings(SECURE=False, PII_ENCRYPTION_KEYS=[], PII_LOOKUP_KEY=""):
        assert pii_keys_check() == []


def test_malformed_keys_are_reported():
    from members.checks import pii_keys_check

    with override_settings(PII_ENCRYPTION_KEYS=["k1:c2hvcnQ="]):
        assert "members.E002" in [error.id for error in pii_keys_check()]


def test_development_keys_are_derived_from_the_secret_key():
    with override_settings(PII_ENCRYPTION_KEYS=[], PII_LOOKUP_KEY="", SECURE=False):
        token = crypto.encrypt("x", context="c")
        assert token.startswith(f"{crypto.DEV_KEY_ID}:")
        assert crypto.decrypt(token, context="c") == "x"
    with (
        override_settings(
            PII_ENCRYPTION_KEYS=[], PII_LOOKUP_KEY="", SECURE=False, SECRET_KEY="other"
        ),
        pytest.raises(crypto.DecryptionError),
    ):
        crypto.decrypt(token, context="c")
