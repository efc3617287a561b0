"""A write to an unknown route under /api/ is a 404 in the API error shape, never a CSRF page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.core.test_api_error_shape import assert_error_shape


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_an_unknown_api_route_is_a_json_404_even_with_csrf_checks(db, method):
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "anything"  # what a browser or a fuzzer may send along
    response = getattr(client, method)("/api/v1/catalog/category-changes/%C2%84/approve/")
    assert_error_shape(response, 404, "not_found")
