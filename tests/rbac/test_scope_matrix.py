"""The scope matrix: role × scope kind × entry point for every scoped model (zero leaks).

See tests/rbac/matrix_cases.py for how a model joins.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import clear_url_caches, reverse
from rest_framework.test import APIClient

from mall.core.actors import system_actor
from mall.core.scoping import scope_rule_for
from rbac import services

from .conftest import fresh
from .matrix_cases import all_cases

KINDS = [
    "all",
    "regions",
    "department",
    "department_and_below",
    "self",
    "granted_objects",
    "none",
]
CASES = all_cases()


@dataclass
class World:
    case: object
    kind: str
    subject: object
    rows: dict  # "A" / "B" / "C" → row
    expected: set  # names of rows the subject may see

    def keys(self, names) -> set:
        return {self.case.row_key(self.rows[name]) for name in names}

    @property
    def visible_keys(self) -> set:
        return self.keys(self.expected)

    @property
    def all_keys(self) -> set:
        return self.keys(self.rows)

    @property
    def hidden(self) -> list[str]:
        return sorted(set(self.rows) - self.expected)


def expected_rows(rule, kind: str) -> set[str]:
    if rule.unscoped or kind == "all":
        return {"A", "B", "C"}
    if kind == "regions":
        return {"A"} if rule.region else set()
    if kind == "department":
        return {"A"} if rule.department else set()
    if kind == "department_and_below":
        return {"A", "C"} if rule.department else set()
    if kind == "self":
        return {"A"} if rule.owner else set()
    if kind == "granted_objects":
        return {"A"} if rule.grant else set()
    return set()


@pytest.fixture
def world(request, tree, regions, make_user, make_role):
    case, kind = request.param
    system = system_actor()
    role = make_role(
        f"matrix-{kind}".replace("_", "-"),
        kind=kind,
        perms=case.permissions,
        region_codes=["east"] if kind == "regions" else (),
    )
    subject = make_user("subject", tree["ops"])
    outsider = make_user("outsider", tree["finance"])
    junior = make_user("junior", tree["ops_east"])
    services.role_assign(actor=system, user=subject, role=role)
    rule = scope_rule_for(case.model_class)
    assert rule is not None, f"{case.model} declares no scope"
    granted = other = None
    if case.make_grant_target is not None:
        granted, other = case.make_grant_target(), case.make_grant_target()
        services.object_permission_grant(
            actor=system, user=subject, perm=rule.grant[1], obj=granted
        )
    rows = {
        "A": case.make_row(
            region=regions["east"], department=tree["ops"], owner=subject, grant_target=granted
        ),
        "B": case.make_row(
            region=regions["north"],
            department=tree["finance"],
            owner=outsider,
            grant_target=other,
        ),
        "C": case.make_row(
            region=regions["north"],
            department=tree["ops_east"],
            owner=junior,
            grant_target=other,
        ),
    }
    expected = expected_rows(rule, kind) | set(case.always_visible)
    return World(case, kind, fresh(subject), rows, expected)


def _params():
    return [pytest.param((case, kind), id=f"{case.id}-{kind}") for case in CASES for kind in KINDS]


def _with_case_urls(case):
    if case.urls:
        clear_url_caches()
        return override_settings(ROOT_URLCONF=case.urls)
    return override_settings()


def _admin(world) -> Client:
    client = Client()
    client.force_login(world.subject)
    return client


def _api(world) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.subject)
    return client


def _skip_unless(value, entry):
    if not value:
        pytest.skip(f"{entry} not offered for this model")


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_admin_changelist_lists_exactly_the_rows_in_scope(world):
    case = world.case
    _skip_unless(case.admin_changelist, "admin changelist")
    with _with_case_urls(case):
        response = _admin(world).get(reverse(case.admin_changelist))
    assert response.status_code == 200
    shown = {case.row_key(row) for row in response.context["cl"].result_list}
    assert shown & world.all_keys == world.visible_keys


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_admin_change_url_of_a_row_outside_scope_is_not_found(world):
    case = world.case
    _skip_unless(case.admin_change, "admin change view")
    client = _admin(world)
    with _with_case_urls(case):
        for name, row in world.rows.items():
            response = client.get(reverse(case.admin_change, args=[row.pk]))
            if name in world.expected:
                assert response.status_code == 200, name
            else:
                assert response.status_code in (302, 404), name
                if response.status_code == 302:
                    assert response["Location"] == reverse("admin:index")
                assert str(row) not in response.content.decode(), name


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_admin_action_on_a_mixed_selection_touches_only_rows_in_scope(world):
    case = world.case
    _skip_unless(case.admin_action, "admin action")
    with _with_case_urls(case):
        _admin(world).post(
            reverse(case.admin_changelist),
            {
                "action": case.admin_action,
                "_selected_action": [row.pk for row in world.rows.values()],
                "index": 0,
                **case.admin_action_data,
            },
        )
    touched = {name for name, row in world.rows.items() if case.was_touched(row)}
    assert touched <= world.expected
    if case.action_applies_to_all_in_scope:
        assert touched == world.expected


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_admin_foreign_key_dropdown_offers_only_rows_in_scope(world):
    case = world.case
    _skip_unless(case.fk_admin_add, "admin FK dropdown")
    with _with_case_urls(case):
        response = _admin(world).get(reverse(case.fk_admin_add))
    assert response.status_code == 200
    field = response.context["adminform"].form.fields[case.fk_field]
    offered = {row.pk for row in field.queryset}
    assert offered & {row.pk for row in world.rows.values()} == {
        world.rows[name].pk for name in world.expected
    }
    html = response.content.decode()
    select = re.search(rf'<select[^>]*name="{case.fk_field}".*?</select>', html, re.S).group(0)
    for name in world.hidden:
        assert f'value="{world.rows[name].pk}"' not in select


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_api_list_returns_exactly_the_rows_in_scope(world):
    case = world.case
    _skip_unless(case.api_list, "API list")
    with _with_case_urls(case):
        response = _api(world).get(reverse(case.api_list), {"page_size": 200})
    assert response.status_code == 200
    listed = {case.api_key(item) for item in response.json()["results"]}
    assert listed & world.all_keys == world.visible_keys


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_api_detail_of_a_row_outside_scope_is_404(world):
    case = world.case
    _skip_unless(case.api_detail, "API detail")
    client = _api(world)
    with _with_case_urls(case):
        for name, row in world.rows.items():
            response = client.get(reverse(case.api_detail, kwargs=case.api_lookup(row)))
            expected = 200 if name in world.expected else 404
            assert response.status_code == expected, name
            if expected == 404:
                assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_api_custom_action_on_a_row_outside_scope_is_404_and_changes_nothing(world):
    case = world.case
    _skip_unless(case.api_action, "API custom action")
    client = _api(world)
    with _with_case_urls(case):
        for name, row in world.rows.items():
            response = client.post(
                reverse(case.api_action, kwargs=case.api_lookup(row)),
                case.api_action_body,
                format="json",
            )
            if name in world.expected:
                assert response.status_code != 404, name
            else:
                assert response.status_code == 404, name
                if case.was_touched is not None:
                    assert not case.was_touched(row), name


@pytest.mark.parametrize("world", _params(), indirect=True)
def test_export_contains_exactly_the_rows_in_scope(world):
    case = world.case
    _skip_unless(case.export, "export")
    with _with_case_urls(case):
        response = _api(world).get(reverse(case.export), {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    exported = {row[case.export_key_column] for row in csv.DictReader(io.StringIO(body))}
    assert exported & {str(key) for key in world.all_keys} == {
        str(key) for key in world.visible_keys
    }
