"""Every API error, DRF's or Django's own, has the shape of shared/API.md."""

import pytest


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


@pytest.mark.django_db
def test_invalid_input_is_400_with_the_problem_per_field(api_client):
    error = assert_error_shape(
        api_client.post("/api/v1/auth/token/", {}, format="json"), 400, "invalid"
    )
    assert set(error["fields"]) == {"username", "password"}


@pytest.mark.django_db
def test_malformed_json_is_400_not_500(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )
    assert_error_shape(response, 400, "parse_error")


@pytest.mark.django_db
def test_missing_credentials_are_401_with_a_challenge(api_client):
    response = api_client.post("/api/v1/auth/logout/")
    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert_error_shape(api_client.post("/api/v1/auth/logout/"), 401, "authentication_failed")


@pytest.mark.django_db
def test_unknown_api_url_is_a_json_404(api_client):
    assert_error_shape(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")


@pytest.mark.django_db
def test_unknown_admin_url_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_wrong_method_is_405(api_client):
    assert_error_shape(api_client.get("/api/v1/auth/token/"), 405, "method_not_allowed")


def test_unhandled_crash_under_api_is_a_json_500(rf):
    from mall.core.exceptions import json_or_html_500

    response = json_or_html_500(rf.get("/api/v1/anything/"))
    assert response.status_code == 500
    assert b'"code": "server_error"' in response.content
