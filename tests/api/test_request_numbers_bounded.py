"""Every number a client may send in a request body is bounded in the schema.

An unbounded ``serializers.IntegerField`` lets ``10**30`` through validation to the
database, where PostgreSQL answers "integer out of range" (a 500) and SQLite an
``OverflowError``. Every writable integer or number in every request body therefore
declares a minimum and a maximum (``min_value``/``max_value`` on the serializer
field; a ``ModelSerializer`` takes them from the column).
"""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator


def _unbounded(schema: dict, components: dict, where: str, seen: set[str]) -> list[str]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(components[name], components, f"{where}<{name}>", seen | {name})
    found = []
    number = schema.get("type") in {"integer", "number"} and not schema.get("readOnly")
    if number and ("minimum" not in schema or "maximum" not in schema):
        found.append(where)
    for key, value in schema.get("properties", {}).items():
        found += _unbounded(value, components, f"{where}.{key}", seen)
    if "items" in schema:
        found += _unbounded(schema["items"], components, f"{where}[]", seen)
    for part in [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        found += _unbounded(part, components, where, seen)
    return found


def test_every_number_in_every_request_body_has_a_minimum_and_a_maximum():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    unbounded = []
    bodies = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                bodies += 1
                where = f"{method.upper()} {path}"
                unbounded += _unbounded(media.get("schema", {}), components, where, set())
    assert bodies > 30
    assert unbounded == []
