"""OpenAPI post-processing: every operation documents the API error shape.

Any endpoint can answer 400/401/403/404/405/406/409/415/422/429 with
``{"error": {...}}``; declaring that once here keeps the schema honest for
clients and for the schemathesis run in the test suite.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

ERROR_STATUSES = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Forbidden",
    "404": "Not found (also: outside the caller's data scope)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflict with the current state",
    "415": "Unsupported media type",
    "422": "Idempotency-Key reused with a different body",
    "429": "Too many requests",
}

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorResponse"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
