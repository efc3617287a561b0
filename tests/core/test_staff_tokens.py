"""Staff API tokens: hashed, several per user, listed and revoked by owner or manager."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mall.core.exceptions import PermissionDeniedError
from mall.core.models import StaffToken
from mall.core.services import token_create, token_revoke
from ops.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, username, **extra):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra}, format="json"
    )


def test_the_database_holds_only_a_keyed_hash_of_the_key(make_staff):
    user = make_staff("clerk")
    token, key = token_create(actor=user, user=user, name="laptop")

    stored = StaffToken.objects.get(pk=token.pk)
    row = StaffToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(value) for value in row.values()}
    assert stored.prefix == key[:8]
    import hashlib

    assert stored.key_hash != hashlib.sha256(key.encode()).hexdigest()  # keyed, not plain


def test_each_login_issues_a_separate_named_token_and_both_work(api_client, make_staff):
    user = make_staff("clerk")
    first = login(api_client, "clerk", name="laptop").json()["token"]
    second = login(api_client, "clerk", name="phone").json()["token"]

    assert first != second
    assert sorted(StaffToken.objects.filter(user=user).values_list("name", flat=True)) == [
        "laptop",
        "phone",
    ]
    for key in (first, second):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api_client.get("/api/v1/auth/tokens/").status_code == 200


def test_the_owner_lists_own_tokens_without_secrets(api_client, make_staff):
    user = make_staff("clerk")
    other = make_staff("other")
    token_create(actor=other, user=other)
    _token, key = token_create(actor=user, user=user, name="laptop")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    rows = api_client.get("/api/v1/auth/tokens/").json()["results"]

    assert [(row["name"], row["username"]) for row in rows] == [("laptop", "clerk")]
    assert "key_hash" not in rows[0] and key not in str(rows)
    assert rows[0]["prefix"] == key[:8]


def test_the_owner_revokes_a_token_and_it_stops_working(api_client, make_staff):
    user = make_staff("clerk")
    phone, phone_key = token_create(actor=user, user=user, name="phone")
    _laptop, laptop_key = token_create(actor=user, user=user, name="laptop")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {laptop_key}")

    response = api_client.post(f"/api/v1/auth/tokens/{phone.pk}/revoke/")

    assert response.status_code == 200 and response.json()["is_live"] is False
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {phone_key}")
    assert api_client.get("/api/v1/auth/tokens/").status_code == 401
    entry = AuditEntry.objects.get(action="auth.token_revoke")
    assert entry.data["prefix"] == phone_key[:8] and phone_key not in str(entry.data)


def test_another_users_token_is_404_to_a_plain_user(api_client, make_staff):
    user = make_staff("clerk")
    other = make_staff("other")
    theirs, _other_key = token_create(actor=other, user=other)
    _mine, key = token_create(actor=user, user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert api_client.post(f"/api/v1/auth/tokens/{theirs.pk}/revoke/").status_code == 404
    assert StaffToken.objects.get(pk=theirs.pk).revoked_at is None
    with pytest.raises(PermissionDeniedError):
        token_revoke(actor=user, token=theirs)


def test_a_token_manager_revokes_another_users_token(make_staff):
    manager = make_staff("security", superuser=True)
    other = make_staff("other")
    theirs, _key = token_create(actor=other, user=other)

    token_revoke(actor=manager, token=theirs)

    assert StaffToken.objects.get(pk=theirs.pk).revoked_at is not None


def test_creation_is_audited_without_the_key(make_staff):
    user = make_staff("clerk")
    _token, key = token_create(actor=user, user=user, name="laptop")

    entry = AuditEntry.objects.get(action="auth.token_create")
    assert entry.data["name"] == "laptop" and key not in str(entry.data)


def test_last_use_is_recorded_at_most_once_a_minute(api_client, make_staff):
    user = make_staff("clerk")
    token, key = token_create(actor=user, user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    api_client.get("/api/v1/auth/tokens/")
    first = StaffToken.objects.get(pk=token.pk).last_used_at
    api_client.get("/api/v1/auth/tokens/")
    assert StaffToken.objects.get(pk=token.pk).last_used_at == first
    StaffToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api_client.get("/api/v1/auth/tokens/")
    assert StaffToken.objects.get(pk=token.pk).last_used_at > first - timedelta(minutes=2)
    assert first is not None and first <= timezone.now()


def test_the_admin_lists_own_tokens_without_secrets_and_revokes_through_the_service(
    client, make_staff
):
    user = make_staff("clerk")
    other = make_staff("other")
    mine, key = token_create(actor=user, user=user, name="laptop")
    theirs, _other_key = token_create(actor=other, user=other, name="desk")
    client.force_login(user)

    page = client.get("/admin/core/stafftoken/").content.decode()
    assert "laptop" in page and "desk" not in page
    assert key not in page and mine.key_hash not in page

    client.post(
        "/admin/core/stafftoken/",
        {"action": "revoke", "_selected_action": [mine.pk, theirs.pk]},
    )
    assert StaffToken.objects.get(pk=mine.pk).revoked_at is not None
    assert StaffToken.objects.get(pk=theirs.pk).revoked_at is None
