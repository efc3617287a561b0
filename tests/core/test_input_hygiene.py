"""Control characters and over-deep JSON are refused at the door, for every view.

Each case would reach the database, a log line or an export otherwise (PostgreSQL
refuses NUL in text with an error: a 500), so the kernel refuses them once.
"""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from mall.core.inputs import MAX_JSON_DEPTH, BoundedJSONParser, has_control_characters
from tests.core.test_api_error_shape import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["a\x00b", "\x1b[31m", "x\x7f", "tab\there", "line\nbreak"])
def test_a_control_character_in_a_query_parameter_is_a_400(superuser, staff_client, value):
    client = staff_client(superuser)
    response = client.get("/api/v1/ops/sla-clocks/", {"kind": value})
    assert_error_shape(response, 400, "control_characters")


def test_a_control_character_in_a_query_parameter_name_is_a_400(superuser, staff_client):
    response = staff_client(superuser).get("/api/v1/ops/sla-clocks/?ki%00nd=x")
    assert_error_shape(response, 400, "control_characters")


def test_a_control_character_in_a_header_is_a_400(api_client):
    response = api_client.get("/api/health/", HTTP_X_CLIENT_NOTE="a\x00b")
    assert_error_shape(response, 400, "control_characters")


def test_the_admin_refuses_control_characters_with_a_plain_400(admin_client):
    response = admin_client.get("/admin/ops/auditentry/", {"q": "x\x00"})
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


def test_a_control_character_in_a_form_field_is_a_400_but_newlines_are_text(admin_client):
    refused = admin_client.post("/admin/login/", {"username": "a\x00", "password": "x"})
    assert refused.status_code == 400
    allowed = admin_client.post("/admin/login/", {"username": "a\nb\tc", "password": "x"})
    assert allowed.status_code != 400


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ro\x00ot", "password": "x"},
        {"username": "root", "password": "x", "n\x01ote": 1},
        {"username": ["\x1b"], "password": "x"},
    ],
)
def test_a_control_character_in_a_json_body_is_a_400(api_client, body):
    response = api_client.post("/api/v1/auth/token/", body, format="json")
    assert_error_shape(response, 400, "parse_error")


def test_newlines_and_tabs_in_json_text_pass_the_parser(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "a\nb\tc\r", "password": "x"}, format="json"
    )
    assert response.status_code == 401  # wrong credentials, not a refused body


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_deeper_than_the_limit_is_a_400(api_client):
    too_deep = json.dumps({"username": "root", "password": json.loads(_nested(MAX_JSON_DEPTH))})
    response = api_client.post(
        "/api/v1/auth/token/", data=too_deep, content_type="application/json"
    )
    assert_error_shape(response, 400, "parse_error")


def test_json_deep_enough_to_exhaust_the_decoder_is_a_400_not_a_500(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", data=_nested(100_000), content_type="application/json"
    )
    assert_error_shape(response, 400, "parse_error")


def test_json_at_the_limit_is_accepted_by_the_parser():
    from io import BytesIO

    data = BoundedJSONParser().parse(BytesIO(_nested(MAX_JSON_DEPTH).encode()))
    assert isinstance(data, list)


def test_the_control_character_rule_allows_text_whitespace_only_in_text():
    assert has_control_characters("a\tb")
    assert not has_control_characters("a\tb\nc\r", text=True)
    assert has_control_characters("a\x00b", text=True)
    assert not has_control_characters("普通文本 with ümlauts")


@override_settings(DEBUG=True)
def test_an_unknown_api_route_is_a_json_404_in_debug_mode_too(api_client):
    response = api_client.get("/api/v1/nothing-here/")
    assert_error_shape(response, 404, "not_found")
    assert b"URLconf" not in response.content  # Django's debug page lists every route
