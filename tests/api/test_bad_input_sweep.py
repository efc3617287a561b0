"""The kernel's own bad-input cases over every operation of the API: zero 5xx.

The operations come from the OpenAPI schema (the same one clients read), so every
list, export and write added later is swept without touching this file. For each
operation, as a superuser, a region-scoped staff member and a member:

* every GET without a path id (lists, exports, boards): a control character in
  every declared query parameter and in an undeclared one; a forged cursor; a huge
  ``page_size``; and in every declared parameter the numbers a database cannot
  hold or a parser chokes on (``10**30``, ``2**63``, ``-1``, ``0``, ``1e309``,
  ``NaN``, ``1.5``);
* every operation with a path id: the same numbers as the id;
* every POST/PUT/PATCH: a JSON body nested deeper than the limit, and a body whose
  every field of the request schema holds ``10**30``.

Every answer is below 500, and every 4xx is in the API error shape.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from rest_framework.test import APIClient

from mall.core.inputs import MAX_JSON_DEPTH

BAD_NUMBERS = [str(10**30), str(2**63), str(2**31), "-1", "0", "1e309", "NaN", "-Infinity", "1.5"]
CONTROL = "a\x00b"
PATH_PARAM = re.compile(r"\{[^}]+\}")


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations() -> list[tuple[str, str, dict]]:
    found = []
    for path, item in _schema()["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method, path, operation))
    return found


OPERATIONS = _operations()


def _body_fields(operation: dict, components: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = (content.get("application/json") or {}).get("schema") or {}
    ref = schema.get("$ref", "")
    if ref:
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    return list(schema.get("properties", {}))


COMPONENTS = _schema().get("components", {}).get("schemas", {})


def assert_answered(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"
    if response.status_code >= 400 and response.status_code != 405:
        assert response["Content-Type"].startswith("application/json"), what
        body = response.json()
        assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), (
            what,
            body,
        )


def _get(client: APIClient, path: str, query: str):
    return client.get(f"{path}?{query}" if query else path)


def _sweep_query(client, path: str, operation: dict) -> int:
    declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    sent = 0
    cases = [urlencode({"undeclared_x": CONTROL}), f"{quote(CONTROL)}=1"]
    if "cursor" in declared:
        cases += [
            urlencode({"cursor": "cD0yMDI2LTAxLTAx"}),  # base64 of "p=2026-01-01", unsigned
            urlencode({"cursor": "x" * 5000}),
            urlencode({"cursor": "eyJwIjpbMSwyXX0:forged:signature"}),
        ]
    if "page_size" in declared:
        cases += [urlencode({"page_size": str(10**30)})]
    for name in declared:
        cases.append(urlencode({name: CONTROL}))
        cases += [urlencode({name: value}) for value in BAD_NUMBERS]
        cases.append(urlencode({name: "x" * 10_000}))
    for query in cases:
        assert_answered(_get(client, path, query), f"GET {path}?{query[:80]}")
        sent += 1
    return sent


def _deep_json() -> str:
    body: object = 1
    for _ in range(MAX_JSON_DEPTH * 5):
        body = {"a": [body]}
    return json.dumps(body)


def _sweep(client, method: str, path: str, operation: dict) -> int:
    sent = 0
    if PATH_PARAM.search(path):
        for value in BAD_NUMBERS:
            url = PATH_PARAM.sub(quote(value, safe=""), path)
            body = {} if method in {"get", "delete"} else {"data": "{}"}
            response = getattr(client, method)(url, content_type="application/json", **body)
            assert_answered(response, f"{method.upper()} {url}")
            sent += 1
    elif method == "get":
        sent += _sweep_query(client, path, operation)
    if method in {"post", "put", "patch"}:
        url = PATH_PARAM.sub("1", path)
        deep = getattr(client, method)(url, data=_deep_json(), content_type="application/json")
        assert_answered(deep, f"{method.upper()} {url} deep JSON")
        fields = _body_fields(operation, COMPONENTS)
        if fields:
            huge = json.dumps(dict.fromkeys(fields, 10**30))
            response = getattr(client, method)(url, data=huge, content_type="application/json")
            assert_answered(response, f"{method.upper()} {url} huge numbers")
            sent += 1
        sent += 1
    return sent


@pytest.fixture(params=["superuser", "scoped_staff", "member"])
def sweeper(request, db) -> APIClient:
    from tests.api.conftest import make_persona_headers

    headers = make_persona_headers(request.param)
    client = APIClient()
    if headers:
        client.credentials(HTTP_AUTHORIZATION=headers["Authorization"])
    return client


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{method.upper()} {path}" for method, path, _operation in OPERATIONS],
)
def test_bad_input_never_makes_an_operation_answer_500(sweeper, method, path, operation):
    assert _sweep(sweeper, method, path, operation) > 0
