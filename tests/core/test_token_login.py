"""Staff token login: tokens for active staff only, lockout after failures, all audited."""

import pytest
from django.test import override_settings

from mall.core.models import StaffToken
from mall.core.services import token_create
from ops.models import AuditEntry
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token/"


def login(client, username, password, ip="10.0.0.1"):
    return client.post(
        URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_staff_exchanges_password_for_a_token_that_authenticates(api_client, make_staff):
    user = make_staff("clerk")
    response = login(api_client, "clerk", PASSWORD)

    assert response.status_code == 200
    token = response.json()["token"]
    stored = StaffToken.objects.get(user=user)
    assert stored.is_live and token.startswith(stored.prefix)
    assert AuditEntry.objects.filter(action="auth.login", actor=user).count() == 1

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.post("/api/v1/auth/logout/").status_code == 204
    assert StaffToken.objects.get(user=user).revoked_at is not None
    assert AuditEntry.objects.filter(action="auth.logout", actor=user).exists()
    assert api_client.get("/api/v1/auth/tokens/").status_code == 401


@pytest.mark.django_db
def test_wrong_password_is_a_401_and_audited(api_client, make_staff):
    make_staff("clerk")
    response = login(api_client, "clerk", "wrong")

    assert response.status_code == 401  # like the member login
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "invalid_credentials"
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.data["username"] == "clerk"
    assert failed.ip == "10.0.0.1"


@pytest.mark.django_db
def test_non_staff_users_get_no_token(api_client, django_user_model):
    django_user_model.objects.create_user("shopper", password=PASSWORD, is_staff=False)
    assert login(api_client, "shopper", PASSWORD).status_code == 401
    assert not StaffToken.objects.exists()


@pytest.mark.django_db
@override_settings(AUTH_LOCKOUT_MAX_FAILURES=3)
def test_username_is_locked_after_repeated_failures_even_with_the_right_password(
    api_client, make_staff
):
    make_staff("clerk")
    codes = [login(api_client, "clerk", "wrong").status_code for _ in range(3)]
    assert codes == [401, 401, 429]

    locked = login(api_client, "clerk", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    assert not StaffToken.objects.exists()
    # A different user from the same address is not affected by that username's lock.
    make_staff("other")
    assert login(api_client, "other", PASSWORD).status_code == 200


@pytest.mark.django_db
@override_settings(AUTH_LOCKOUT_IP_MAX_FAILURES=4, AUTH_LOCKOUT_MAX_FAILURES=100)
def test_an_address_spraying_many_usernames_is_locked(api_client, make_staff):
    make_staff("clerk")
    for index in range(4):
        login(api_client, f"guess{index}", "wrong", ip="10.9.9.9")

    assert login(api_client, "clerk", PASSWORD, ip="10.9.9.9").status_code == 429
    assert login(api_client, "clerk", PASSWORD, ip="10.1.1.1").status_code == 200


@pytest.mark.django_db
@override_settings(AUTH_LOCKOUT_MAX_FAILURES=2)
def test_admin_login_honours_the_same_lockout(client, make_staff):
    make_staff("clerk")
    for _ in range(2):
        client.post("/admin/login/", {"username": "clerk", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 200  # the form again, not a redirect into the admin
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_login_and_logout_are_audited(client, make_staff):
    user = make_staff("clerk")
    assert (
        client.post("/admin/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302
    )
    client.post("/admin/logout/")

    actions = list(
        AuditEntry.objects.filter(actor=user).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["auth.login", "auth.logout"]
    assert AuditEntry.objects.get(action="auth.login").data == {"channel": "admin"}


@pytest.mark.django_db
@override_settings(STAFF_TOKEN_TTL_HOURS=1)
def test_an_expired_token_is_refused(api_client, make_staff):
    from datetime import timedelta

    from django.utils import timezone

    user = make_staff("clerk")
    token, key = token_create(actor=user, user=user)
    assert token.expires_at <= timezone.now() + timedelta(hours=1)
    StaffToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert api_client.post("/api/v1/auth/logout/").status_code == 401
