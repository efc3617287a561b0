"""The audit log in the admin: read-only, scoped (own actions unless scope "all")."""

import pytest

from mall.core.audit import audit
from ops.models import AuditEntry


@pytest.fixture
def entries(db, make_staff, superuser):
    from rbac.models import ScopeKind
    from rbac.services import role_assign, role_create

    clerk = make_staff("clerk")
    role = role_create(
        actor=superuser,
        code="own_log",
        name="own log",
        scope_kind=ScopeKind.SELF,
        permissions=["ops.view_auditentry"],
    )
    role_assign(actor=superuser, user=clerk, role=role)
    other = make_staff("other")
    audit(actor=clerk, action="test.mine", object_type="t", object_id=1)
    audit(actor=other, action="test.theirs", object_type="t", object_id=2)
    return clerk, other


def test_a_clerk_sees_only_the_entries_of_their_own_actions(client, entries):
    clerk, _other = entries
    client.force_login(clerk)
    assert client.get("/admin/ops/").status_code == 200
    response = client.get("/admin/ops/auditentry/")

    assert response.status_code == 200
    shown = {entry.action for entry in response.context["cl"].result_list}
    assert "test.mine" in shown
    assert "test.theirs" not in shown
    theirs = AuditEntry.objects.get(action="test.theirs")
    assert client.get(f"/admin/ops/auditentry/{theirs.pk}/change/").status_code in (302, 404)


def test_a_superuser_sees_all_entries_and_cannot_change_or_delete_them(client, entries, superuser):
    client.force_login(superuser)
    response = client.get("/admin/ops/auditentry/")

    shown = {entry.action for entry in response.context["cl"].result_list}
    assert {"test.mine", "test.theirs"} <= shown
    entry = AuditEntry.objects.get(action="test.mine")
    page = client.get(f"/admin/ops/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        client.post(f"/admin/ops/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_changelist_shows_whether_each_entry_is_sealed_yet(client, entries, superuser):
    from ops.audit_chain import audit_entries_seal

    audit_entries_seal()
    audit(actor=superuser, action="test.not_sealed_yet")
    client.force_login(superuser)
    response = client.get("/admin/ops/auditentry/")

    content = response.content.decode()
    assert "已封存" in content
    sealed = AuditEntry.objects.filter(seq__isnull=False).count()
    assert sealed >= 2
    assert content.count("check_small") == sealed
    unsealed = AuditEntry.objects.filter(seq__isnull=True).count()  # ours and the login
    assert unsealed >= 1
    assert content.count("close_small") == unsealed
