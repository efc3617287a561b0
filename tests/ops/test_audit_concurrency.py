"""A long audited transaction (an import that audited its first row and keeps working)
holds up no other audited write: nobody waits on the audit chain until they commit."""

import threading
import time

import pytest
from django.db import connection, transaction

from ops.audit_chain import audit_chain_verify
from ops.models import AuditEntry
from tests.conftest import PASSWORD, requires_postgres


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_in_and_a_login_commit_at_once_while_an_audited_import_is_open():
    from members.services import member_login, member_register, member_sign_in

    member = member_register(actor=None, phone="13800000001", password=PASSWORD)
    audited, release = threading.Event(), threading.Event()
    errors: list[Exception] = []
    timings: dict[str, float] = {}

    def long_import():
        try:
            with transaction.atomic():
                member_register(actor=None, phone="13800000002", password=PASSWORD)  # audits row 1
                audited.set()
                release.wait(timeout=30)  # ...and works on through the other rows
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def unrelated_writes():
        try:
            started = time.monotonic()
            member_sign_in(actor=member, member=member)
            timings["check_in"] = time.monotonic() - started
            member_login(actor=None, phone="13800000001", password=PASSWORD)
            timings["both"] = time.monotonic() - started
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    importer = threading.Thread(target=long_import)
    importer.start()
    assert audited.wait(timeout=10)
    writer = threading.Thread(target=unrelated_writes)
    writer.start()
    writer.join(timeout=10)  # under the old head lock this waited for the import
    import_still_open = importer.is_alive() and not release.is_set()
    release.set()
    importer.join(timeout=30)
    writer.join(timeout=30)

    assert errors == []
    assert import_still_open
    assert timings["both"] < 5, timings  # the old head lock made them wait 10 s
    # The check-in and the login were sealed while the import was open; the import's
    # entry (inserted first, committed last) is chained after them.
    imported = AuditEntry.objects.order_by("seq").last()
    check_in = AuditEntry.objects.get(action="member.points_sign_in")
    login = AuditEntry.objects.get(action="member.login")
    assert imported.action == "member.register"
    assert imported.id < check_in.id < login.id
    assert check_in.seq < login.seq < imported.seq
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert audit_chain_verify().ok
