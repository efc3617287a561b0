"""The audit log changelist at scale: exact searches on indexed columns, filter choices
read from the index but only from entries the reader may see, counts within scope."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mall.core import counts
from mall.core.audit import audit


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
    for number in range(3):
        audit(actor=clerk, action="test.mine", object_type="t", object_id=number)
    for number in range(5):
        audit(actor=other, action="test.theirs", object_type="secret.kind", object_id=number)
    return clerk, other


def _filter_choices(cl, title: str) -> list[str]:
    spec = next(spec for spec in cl.filter_specs if str(spec.title) == title)
    return [str(choice["display"]) for choice in spec.choices(cl)]


def test_the_action_filter_lists_only_actions_the_reader_may_see(client, entries):
    clerk, _other = entries
    client.force_login(clerk)
    cl = client.get("/admin/ops/auditentry/").context["cl"]
    actions = _filter_choices(cl, "操作")
    assert "test.mine" in actions
    assert "test.theirs" not in actions
    assert "secret.kind" not in _filter_choices(cl, "对象类型")


def test_a_clerks_count_never_exceeds_their_own_entries(client, entries, monkeypatch):
    from ops.models import AuditEntry

    clerk, _other = entries
    client.force_login(clerk)
    for cap in (2, 10_000):
        monkeypatch.setattr(counts, "COUNT_CAP", cap)
        cl = client.get("/admin/ops/auditentry/").context["cl"]
        own = AuditEntry.objects.filter(actor=clerk).count()  # their login is one too
        assert cl.result_count <= own < AuditEntry.objects.count()
        assert {entry.actor_id for entry in cl.result_list} == {clerk.pk}


def test_an_entry_is_found_by_its_exact_object_id_without_a_substring_scan(
    client, entries, superuser
):
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/ops/auditentry/", {"q": "4"})
    rows = list(response.context["cl"].result_list)
    assert {(row.action, row.object_id) for row in rows} == {("test.theirs", "4")}
    assert not any("'%" in query["sql"] for query in queries)  # no LIKE '%…%'


def test_the_changelist_runs_no_distinct_over_the_whole_log(client, entries, superuser):
    """No date hierarchy (DISTINCT years), filter choices walked on the index."""
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/ops/auditentry/").status_code == 200
    audit_sql = [q["sql"] for q in queries if "ops_auditentry" in q["sql"]]
    assert audit_sql
    assert not any("DISTINCT" in sql.upper() for sql in audit_sql)


def test_entries_are_found_by_the_start_of_the_users_name_through_the_user_table(
    client, entries, superuser
):
    _clerk, other = entries
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/ops/auditentry/", {"q": "OTH"})
    rows = list(response.context["cl"].result_list)
    assert len(rows) == 5
    assert {row.actor_id for row in rows} == {other.pk}
    page_sql = [q["sql"] for q in queries if 'FROM "ops_auditentry"' in q["sql"]]
    assert page_sql and not any("auth_user" in sql for sql in page_sql)  # ids, no join


def test_cached_filter_choices_are_never_shared_with_a_reader_of_another_scope(
    client, entries, superuser
):
    clerk, _other = entries
    client.force_login(superuser)
    everything = _filter_choices(client.get("/admin/ops/auditentry/").context["cl"], "操作")
    assert "test.theirs" in everything  # now cached for the superuser's (whole) log
    client.force_login(clerk)
    own = _filter_choices(client.get("/admin/ops/auditentry/").context["cl"], "操作")
    assert "test.mine" in own
    assert "test.theirs" not in own


def test_the_log_lists_the_newest_entry_first_by_its_primary_key(client, entries, superuser):
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as queries:
        rows = list(client.get("/admin/ops/auditentry/").context["cl"].result_list)
    assert [row.pk for row in rows] == sorted((row.pk for row in rows), reverse=True)
    assert any('ORDER BY "ops_auditentry"."id" DESC' in q["sql"] for q in queries)
