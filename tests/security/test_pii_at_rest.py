"""Members' personal data never lands in plaintext outside its encrypted columns.

The PII flows run through the real endpoints and services (registration, profile
name, address, a failed login, a phone search, an export filtered by phone, an
idempotent storefront POST carrying an address, staff creation); then every table of
the database is read back as text and searched for the plaintext values. The
staff's own name and phone columns (``auth_user``, ``rbac_staffprofile``) are their
home and are not encrypted (yet, see docs/SECURITY.md); anywhere else — the
audit log, the idempotency records, the outbox, the notifications — they must not
appear either. Logs written during the flows are scanned too.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from rbac.services import staff_create

MEMBER_PHONE = "13977771234"
MEMBER_NAME = "欧阳娜娜"
RECIPIENT = "司马相如"
RECIPIENT_PHONE = "13655558888"
STREET = "梧桐大道 88 号 3 栋"
STAFF_PHONE = "13544446666"
STAFF_NAME = "诸葛"
PASSWORD = "a-Long-pass-2024"

MEMBER_VALUES = [MEMBER_PHONE, MEMBER_NAME, RECIPIENT, RECIPIENT_PHONE, STREET]
STAFF_HOME = {("auth_user", "first_name"), ("rbac_staffprofile", "phone")}


def _forms(value: str) -> set[str]:
    """The spellings a stored value may take (raw, JSON-escaped)."""
    return {value, json.dumps(value)[1:-1]}


def _dump() -> list[tuple[str, str, str]]:
    """Every cell of every table as text: (table, column, value)."""
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if value is not None:
                        cells.append((table, name, value if isinstance(value, str) else str(value)))
    return cells


@pytest.fixture
def pii_flows(db, superuser, caplog):
    caplog.set_level(logging.DEBUG)
    store = APIClient()
    registered = store.post(
        reverse("store-register"), {"phone": MEMBER_PHONE, "password": PASSWORD}, format="json"
    )
    assert registered.status_code == 201, registered.content
    store.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['token']}")
    assert store.patch(reverse("store-me"), {"name": MEMBER_NAME}, format="json").status_code == 200
    address = {
        "name": RECIPIENT,
        "phone": RECIPIENT_PHONE,
        "province": "上海",
        "city": "上海市",
        "detail": STREET,
    }
    created = store.post(
        reverse("store-address-list"), address, format="json", HTTP_IDEMPOTENCY_KEY="addr-1"
    )
    assert created.status_code == 201, created.content
    replay = store.post(
        reverse("store-address-list"), address, format="json", HTTP_IDEMPOTENCY_KEY="addr-1"
    )
    assert replay.json() == created.json()
    failed = APIClient().post(
        reverse("store-login"), {"phone": MEMBER_PHONE, "password": "wrong-1"}, format="json"
    )
    assert failed.status_code in (400, 401)
    staff = APIClient()
    staff.force_authenticate(user=superuser)
    found = staff.get(reverse("member-list"), {"phone": MEMBER_PHONE}).json()
    assert len(found["results"]) == 1
    export = staff.get(reverse("member-export"), {"format": "csv", "phone": MEMBER_PHONE})
    assert MEMBER_PHONE in b"".join(export.streaming_content).decode("utf-8-sig")
    staff_create(
        actor=superuser,
        username="zhuge",
        employee_number="E-9001",
        first_name=STAFF_NAME,
        phone=STAFF_PHONE,
    )
    return caplog


def test_a_database_dump_after_the_pii_flows_holds_no_plaintext_personal_data(pii_flows):
    leaks = sorted(
        {
            (table, column, value)
            for table, column, text in _dump()
            for value in [*MEMBER_VALUES, STAFF_PHONE, STAFF_NAME]
            if (table, column) not in STAFF_HOME or value in MEMBER_VALUES
            if any(form in text for form in _forms(value))
        }
    )
    assert leaks == []


def test_the_logs_of_the_pii_flows_hold_no_plaintext_personal_data(pii_flows):
    text = "\n".join(record.getMessage() for record in pii_flows.records)
    assert [value for value in [*MEMBER_VALUES, STAFF_PHONE] if value in text] == []
