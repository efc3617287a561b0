"""Superusers are protected: only a superuser changes one; the last one always stays."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rbac import services
from rbac.exceptions import LastSuperuser, SuperuserProtected
from rbac.models import StaffProfile
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

HR = ("rbac.deactivate_staff", "auth.change_user", "auth.view_user", "rbac.change_staffprofile")


def fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.fixture
def root(make_staff):
    user = make_staff("root", superuser=True)
    StaffProfile.objects.create(user=user, employee_number="E-ROOT", joined_on=timezone.localdate())
    return user


@pytest.fixture
def hr(make_staff):
    return make_staff("hr", perms=HR)


def test_a_non_superuser_may_not_deactivate_a_superuser(root, hr, make_staff):
    make_staff("root2", superuser=True)
    with pytest.raises(SuperuserProtected):
        services.staff_deactivate(actor=hr, user=root, reason="left")
    assert fresh(root).is_active


def test_a_non_superuser_may_not_edit_a_superusers_account_password_or_profile(root, hr):
    root.first_name = "Mallory"
    with pytest.raises(SuperuserProtected):
        services.user_account_update(actor=hr, user=root, changed=["first_name"])
    with pytest.raises(SuperuserProtected):
        services.user_password_set(actor=hr, user=root, password="n3w-Passw0rd!")
    with pytest.raises(SuperuserProtected):
        services.staff_profile_update(actor=hr, profile=root.staff_profile, phone="13900000001")
    assert fresh(root).first_name == "" and fresh(root).check_password(PASSWORD)


def test_a_superuser_may_deactivate_and_demote_another_superuser(root, make_staff):
    other = make_staff("root2", superuser=True)
    other.is_superuser = False
    services.user_account_update(actor=root, user=other, changed=["is_superuser"])
    assert not fresh(other).is_superuser

    third = make_staff("root3", superuser=True)
    services.staff_deactivate(actor=root, user=third, reason="left")
    assert not fresh(third).is_active


def test_the_last_active_superuser_cannot_be_demoted(root):
    target = fresh(root)
    target.is_superuser = False
    with pytest.raises(LastSuperuser):
        services.user_account_update(actor=root, user=target, changed=["is_superuser"])
    assert fresh(root).is_superuser


def test_the_last_active_superuser_cannot_lose_staff_status(root):
    target = fresh(root)
    target.is_staff = False
    with pytest.raises(LastSuperuser):
        services.user_account_update(actor=root, user=target, changed=["is_staff"])
    assert fresh(root).is_staff


def test_the_last_active_superuser_cannot_be_deactivated(root, system, make_staff):
    other = make_staff("root2", superuser=True)
    services.staff_deactivate(actor=system, user=other, reason="left")  # root remains

    with pytest.raises(LastSuperuser):
        services.staff_deactivate(actor=system, user=root, reason="left")
    assert fresh(root).is_active


@pytest.fixture
def hr_with_all_data(system, make_user, make_role):
    """An HR clerk who sees every staff account (scope "all") and may change them."""
    user = make_user("hr_all")
    role = make_role("hr", "all", perms=(*HR, "auth.view_user", "rbac.view_staffprofile"))
    services.role_assign(actor=system, user=user, role=role)
    return fresh(user)


def test_the_admin_refuses_a_non_superusers_edit_of_a_superuser(client, root, hr_with_all_data):
    client.force_login(hr_with_all_data)
    url = f"/admin/auth/user/{root.pk}/change/"
    assert client.get(url).status_code == 200  # in scope: the form is shown

    response = client.post(
        url,
        {
            "username": "root",
            "first_name": "Mallory",
            "last_name": "",
            "email": "",
            "is_staff": "on",
        },
    )
    assert response.status_code == 200  # the form again, refused
    assert str(SuperuserProtected.default_message) in response.content.decode()
    assert fresh(root).first_name == ""


def test_the_admin_deactivate_action_refuses_a_superuser_to_a_non_superuser(
    client, root, hr_with_all_data, make_staff
):
    make_staff("root2", superuser=True)
    client.force_login(hr_with_all_data)
    client.post(
        "/admin/rbac/staffprofile/",
        {
            "action": "deactivate_selected",
            "_selected_action": [root.staff_profile.pk],
            "reason": "x",
        },
    )
    assert fresh(root).is_active
