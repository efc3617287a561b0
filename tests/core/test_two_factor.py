"""Two-factor login for staff: who needs it, enrolment, codes, recovery codes, API tokens."""

import re

import pytest
from django.test import override_settings

from mall.core import twofactor
from mall.core.models import StaffRecoveryCode, StaffToken, StaffTwoFactor
from mall.core.services import two_factor_begin, two_factor_confirm
from ops.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_on")]


@pytest.fixture
def two_factor_on():
    with override_settings(TWO_FACTOR_REQUIRED=True):
        yield


def enrol(user) -> tuple[str, list[str]]:
    """Enrol ``user`` through the services; return the secret and the recovery codes."""
    secret = two_factor_begin(actor=user)
    step = twofactor.current_step() - 1  # an earlier code, so the current one stays unused
    codes = two_factor_confirm(actor=user, code=twofactor.totp_at(secret, step))
    return secret, codes


def now_code(secret: str) -> str:
    return twofactor.totp_at(secret, twofactor.current_step())


def test_totp_matches_the_rfc_6238_test_vectors():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890"
    assert twofactor.totp_at(secret, 59 // 30, digits=8) == "94287082"
    assert twofactor.totp_at(secret, 1111111109 // 30, digits=8) == "07081804"
    assert twofactor.totp_at(secret, 20000000000 // 30, digits=8) == "65353130"


def test_superusers_and_holders_of_listed_permissions_need_it_others_do_not(make_staff):
    assert twofactor.two_factor_required(make_staff("root", superuser=True))
    assert twofactor.two_factor_required(make_staff("cs", perms=("members.view_member_pii",)))
    assert twofactor.two_factor_required(make_staff("hr", perms=("rbac.assign_role",)))
    assert not twofactor.two_factor_required(make_staff("clerk", perms=("rbac.view_role",)))
    with override_settings(TWO_FACTOR_REQUIRED=False):
        assert not twofactor.two_factor_required(make_staff("root2", superuser=True))


def test_an_unenrolled_user_who_needs_it_is_sent_to_enrolment_before_any_admin_page(
    client, make_staff
):
    make_staff("root", superuser=True)
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/2fa/enrol/")
    assert client.get("/api/v1/rbac/me/").status_code == 403


def test_enrolment_shows_a_local_qr_code_and_a_first_code_confirms_it(client, make_staff):
    user = make_staff("root", superuser=True)
    client.force_login(user)

    page = client.get("/admin/2fa/enrol/").content.decode()
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org", ""
    )
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    assert StaffTwoFactor.objects.get(user=user).secret_encrypted != secret  # stored encrypted

    response = client.post("/admin/2fa/enrol/", {"code": now_code(secret), "next": "/admin/"})
    assert response.status_code == 200
    codes = re.findall(
        r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", response.content.decode()
    )
    assert len(codes) == 10
    assert StaffRecoveryCode.objects.filter(user=user).count() == 10
    assert not StaffRecoveryCode.objects.filter(code_hash__in=codes).exists()
    assert AuditEntry.objects.filter(action="auth.2fa_enrol", actor=user).exists()
    assert client.get("/admin/").status_code == 200


def test_after_the_password_an_enrolled_user_must_enter_a_code(client, make_staff):
    user = make_staff("root", superuser=True)
    secret, _codes = enrol(user)
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert client.get("/admin/").status_code == 302
    response = client.post("/admin/2fa/verify/", {"code": now_code(secret), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_and_audited(client, make_staff):
    user = make_staff("root", superuser=True)
    secret, _codes = enrol(user)
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    wrong = str((int(now_code(secret)) + 1) % 1_000_000).zfill(6)

    response = client.post("/admin/2fa/verify/", {"code": wrong})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
    entry = AuditEntry.objects.get(action="auth.2fa_failed")
    assert entry.actor == user and entry.data["channel"] == "admin"


def test_a_code_cannot_be_replayed(client, make_staff):
    user = make_staff("root", superuser=True)
    secret, _codes = enrol(user)
    code = now_code(secret)
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    client.post("/admin/2fa/verify/", {"code": code})
    client.post("/admin/logout/")
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    client.post("/admin/2fa/verify/", {"code": code})
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_works_once_and_its_use_is_audited(client, make_staff):
    user = make_staff("root", superuser=True)
    _secret, codes = enrol(user)
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    client.post("/admin/2fa/verify/", {"code": codes[0]})
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.get(action="auth.2fa_recovery_used").data["codes_left"] == 9

    client.post("/admin/logout/")
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    client.post("/admin/2fa/verify/", {"code": codes[0]})
    assert client.get("/admin/").status_code == 302


def test_no_api_token_without_a_second_factor_for_a_user_who_needs_it(api_client, make_staff):
    user = make_staff("root", superuser=True)
    url = "/api/v1/auth/token/"

    refused = api_client.post(url, {"username": "root", "password": PASSWORD}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "two_factor_enrolment_required"

    secret, _codes = enrol(user)
    missing = api_client.post(url, {"username": "root", "password": PASSWORD}, format="json")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "otp_required"
    wrong = api_client.post(
        url, {"username": "root", "password": PASSWORD, "otp": "000000"}, format="json"
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "otp_invalid"
    assert not StaffToken.objects.exists()

    granted = api_client.post(
        url, {"username": "root", "password": PASSWORD, "otp": now_code(secret)}, format="json"
    )
    assert granted.status_code == 200 and StaffToken.objects.filter(user=user).count() == 1


def test_users_who_do_not_need_it_log_in_as_before(api_client, client, make_staff):
    make_staff("clerk", perms=("rbac.view_role",))
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "clerk", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    client.post("/admin/login/", {"username": "clerk", "password": PASSWORD})
    assert client.get("/admin/").status_code == 200
