"""Storefront API: register/login, token separation, rate limits, me, points, coupons,
sign-in, addresses — status codes, shapes and constant query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mall.core.services import token_create
from members.models import CouponTemplate, GrowthEntry, MemberToken
from members.services import coupon_template_create, points_earn


@pytest.fixture
def client():
    return APIClient()


def test_register_then_login_returns_working_bearer_tokens(client, db):
    response = client.post(
        reverse("store-register"),
        {"phone": "13912340000", "password": "mall-demo-2026"},
        format="json",
    )
    assert response.status_code == 201
    assert set(response.json()) == {"token"}
    response = client.post(
        reverse("store-login"),
        {"phone": "13912340000", "password": "mall-demo-2026"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    me = client.get(reverse("store-me")).json()
    assert me["phone"] == "13912340000"  # own data, unmasked
    assert me["level"]["code"] == "VIP1"
    # Tokens are stored hashed only.
    assert not MemberToken.objects.filter(key_hash=token).exists()


def test_registration_errors_use_the_error_shape(client, member):
    taken = client.post(
        reverse("store-register"),
        {"phone": member.phone, "password": "mall-demo-2026"},
        format="json",
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "phone_taken"
    weak = client.post(
        reverse("store-register"), {"phone": "13912340001", "password": "123"}, format="json"
    )
    assert weak.status_code == 400
    assert "password" in weak.json()["error"]["fields"]
    bad = client.post(reverse("store-register"), {"phone": "12345", "password": "x"}, format="json")
    assert bad.json()["error"]["code"] == "invalid_phone"


def test_wrong_password_and_unknown_phone_get_the_same_answer(client, member):
    wrong = client.post(
        reverse("store-login"), {"phone": member.phone, "password": "nope-nope-1"}, format="json"
    )
    unknown = client.post(
        reverse("store-login"), {"phone": "13700000000", "password": "nope-nope-1"}, format="json"
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]


def test_login_is_rate_limited_with_429_in_the_error_shape(client, member):
    statuses = [
        client.post(
            reverse("store-login"), {"phone": "13700000000", "password": "x"}, format="json"
        ).status_code
        for _ in range(11)
    ]
    assert statuses[-1] == 429
    body = client.post(reverse("store-login"), {"phone": "1", "password": "x"}, format="json")
    assert body.status_code == 429
    assert body.json()["error"]["code"] == "throttled"


def test_registration_is_rate_limited(client, db):
    statuses = [
        client.post(
            reverse("store-register"),
            {"phone": f"1360000000{i}", "password": "mall-demo-2026"},
            format="json",
        ).status_code
        for i in range(6)
    ]
    assert statuses[:5] == [201] * 5
    assert statuses[5] == 429


def test_repeated_failures_lock_the_phone_even_with_the_right_password(client, member):
    for _ in range(5):
        client.post(
            reverse("store-login"), {"phone": member.phone, "password": "bad-pass-1"}, format="json"
        )
    response = client.post(
        reverse("store-login"), {"phone": member.phone, "password": "mall-demo-2026"}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"


def test_first_login_of_the_day_grants_growth_once(client, member):
    for _ in range(2):
        client.post(
            reverse("store-login"),
            {"phone": member.phone, "password": "mall-demo-2026"},
            format="json",
        )
    assert GrowthEntry.objects.filter(member=member, reason="login").count() == 1


def test_member_token_never_works_on_staff_endpoints(member_client, member):
    client = member_client(member)
    for url in (reverse("member-list"), reverse("member-detail", args=[member.pk])):
        response = client.get(url)
        assert response.status_code in (401, 403)
        assert "error" in response.json()
    # Sent with the staff keyword, it is not a staff token either.
    key = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(reverse("member-list")).status_code == 401


def test_staff_token_never_acts_as_a_member(make_staff, db):
    staff = make_staff("clerk", superuser=True)
    _token, key = token_create(actor=staff, user=staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(reverse("store-me")).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("store-me")).status_code == 401
    session = APIClient()
    session.force_login(staff)
    assert session.get(reverse("store-me")).status_code == 401


def test_expired_and_frozen_member_tokens_are_refused(member_client, member, superuser):
    client = member_client(member)
    MemberToken.objects.filter(member=member).update(expires_at="2000-01-01T00:00:00Z")
    assert client.get(reverse("store-me")).status_code == 401
    client = member_client(member)
    from members.services import member_set_status

    member_set_status(actor=superuser, member=member, status="frozen", reason="abuse")
    assert client.get(reverse("store-me")).status_code == 401


def test_me_points_shows_balance_lots_and_ledger(
    member_client, member, django_assert_max_num_queries
):
    for index in range(5):
        points_earn(actor=member, member=member, reason="share", reference=f"S{index}", points=10)
    client = member_client(member)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("store-me-points")).json()
    assert body["balance"] == 50
    assert body["available"] == 50
    assert len(body["results"]) == 5
    assert body["expiring"][0]["remaining"] == 10


def test_sign_in_grants_points_once_a_day(member_client, member):
    client = member_client(member)
    first = client.post(reverse("store-sign-in"))
    assert first.status_code == 201
    assert first.json()["points"] == 10
    again = client.post(reverse("store-sign-in"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_signed_in"


def test_claim_then_list_wallet(member_client, member, superuser, django_assert_max_num_queries):
    template = coupon_template_create(
        actor=superuser,
        name="满50减5",
        kind="amount_off",
        discount_amount=Decimal("5.00"),
        threshold_amount=Decimal("50.00"),
        validity="days",
        valid_days=3,
        total_stock=3,
    )
    client = member_client(member)
    claimed = client.post(reverse("store-coupon-claim", args=[template.pk]))
    assert claimed.status_code == 201
    assert claimed.json()["template"]["discount_amount"] == "5.00"
    again = client.post(reverse("store-coupon-claim", args=[template.pk]))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "coupon_limit_reached"
    assert client.post(reverse("store-coupon-claim", args=[999999])).status_code == 404
    with django_assert_max_num_queries(5):
        wallet = client.get(reverse("store-me-coupons"), {"status": "available"}).json()
    assert [c["id"] for c in wallet["results"]] == [claimed.json()["id"]]


def test_addresses_crud_sets_the_default_and_the_region(member_client, member):
    client = member_client(member)
    body = {
        "name": "张三",
        "phone": "13911110000",
        "province": "上海",
        "city": "上海市",
        "detail": "南京路 100 号",
    }
    first = client.post(reverse("store-address-list"), body, format="json")
    assert first.status_code == 201
    assert first.json()["is_default"] is True
    assert first.json()["region"] == "east"
    second = client.post(
        reverse("store-address-list"),
        {**body, "province": "北京市", "is_default": True},
        format="json",
    )
    member.refresh_from_db()
    assert member.region.code == "north"
    listed = client.get(reverse("store-address-list")).json()
    assert [a["id"] for a in listed] == [second.json()["id"], first.json()["id"]]
    patched = client.patch(
        reverse("store-address-detail", args=[first.json()["id"]]),
        {"is_default": True},
        format="json",
    )
    assert patched.status_code == 200
    member.refresh_from_db()
    assert member.region.code == "east"
    bad = client.post(reverse("store-address-list"), {**body, "province": "火星"}, format="json")
    assert bad.status_code == 400
    assert (
        client.delete(reverse("store-address-detail", args=[first.json()["id"]])).status_code == 204
    )
    member.refresh_from_db()
    assert member.region.code == "north"


def test_a_member_cannot_touch_another_members_address(member_client, make_member):
    owner = make_member(province="上海")
    other = make_member()
    address_id = owner.addresses.get().pk
    client = member_client(other)
    assert client.get(reverse("store-address-detail", args=[address_id])).status_code == 404
    assert client.delete(reverse("store-address-detail", args=[address_id])).status_code == 404


def test_profile_update_and_opt_outs(member_client, member):
    client = member_client(member)
    response = client.patch(
        reverse("store-me"),
        {"gender": "female", "birthday": "1995-05-05", "opt_outs": ["marketing"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["opt_outs"] == ["marketing"]
    again = client.patch(reverse("store-me"), {"birthday": "1996-01-01"}, format="json")
    assert again.status_code == 400


def test_malformed_bearer_headers_are_401(client, db):
    for header in ("Bearer", "Bearer a b", "Bearer nope"):
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(reverse("store-me"))
        assert response.status_code == 401
        assert response.json()["error"]["code"] in {"authentication_failed", "not_authenticated"}


def test_logout_ends_the_token(member_client, member):
    client = member_client(member)
    assert client.post(reverse("store-logout")).status_code == 204
    assert client.get(reverse("store-me")).status_code == 401


def test_the_phone_lock_holds_however_the_number_is_spelled(client, member):
    spellings = [
        "13912345678",
        "+86 139 1234 5678",
        "139-1234-5678",
        "008613912345678",
        "1391234 5678",
    ]
    for spelling in spellings:
        client.post(
            reverse("store-login"), {"phone": spelling, "password": "bad-pass-1"}, format="json"
        )
    response = client.post(
        reverse("store-login"), {"phone": member.phone, "password": "mall-demo-2026"}, format="json"
    )
    assert response.status_code == 429


def test_a_future_birthday_is_refused(member_client, member):
    response = member_client(member).patch(
        reverse("store-me"), {"birthday": "2999-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "birthday" in response.json()["error"]["fields"]


def test_the_storefront_lists_only_coupons_that_can_still_be_claimed(
    member_client, member, superuser
):
    from members.services import coupon_template_create

    now = timezone.now()
    common = {"kind": "free_shipping", "total_stock": 5}
    running = coupon_template_create(
        actor=superuser, name="包邮", validity="days", valid_days=3, **common
    )
    ended = coupon_template_create(
        actor=superuser,
        name="过期包邮",
        validity="window",
        valid_from=now - timedelta(days=10),
        valid_until=now + timedelta(days=1),
        **common,
    )
    CouponTemplate.objects.filter(pk=ended.pk).update(valid_until=now - timedelta(days=1))
    body = member_client(member).get(reverse("store-coupons")).json()
    assert [row["id"] for row in body["results"]] == [running.pk]


def test_the_points_ledger_and_the_wallet_filter_with_filtersets(member_client, member):
    points_earn(actor=member, member=member, reason="share", reference="S1", points=10)
    points_earn(actor=member, member=member, reason="review", reference="R1", points=20)
    client = member_client(member)
    shares = client.get(reverse("store-me-points"), {"reason": "share"}).json()["results"]
    assert [row["reference"] for row in shares] == ["S1"]
    bad_reason = client.get(reverse("store-me-points"), {"reason": "lottery"})
    assert bad_reason.status_code == 400
    assert "reason" in bad_reason.json()["error"]["fields"]
    assert client.get(reverse("store-me-coupons"), {"status": "lost"}).status_code == 400


def test_a_member_reading_through_the_selectors_sees_only_their_own_rows(make_member):
    from members import selectors
    from members.exceptions import AddressNotFound, MemberNotFound

    mine, other = make_member(province="上海"), make_member(province="北京")
    points_earn(actor=other, member=other, reason="share", reference="O1", points=5)
    assert list(selectors.member_list(actor=mine)) == [mine]
    assert selectors.points_entry_list(actor=mine).count() == 0
    assert selectors.address_list(actor=mine).count() == 1
    with pytest.raises(MemberNotFound):
        selectors.member_get(actor=mine, pk=other.pk)
    with pytest.raises(AddressNotFound):
        selectors.address_get(actor=mine, pk=other.addresses.get().pk)
    assert selectors.member_get_by_phone(actor=mine, phone=other.phone) is None
