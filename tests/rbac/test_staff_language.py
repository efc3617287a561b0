"""The admin language (中文/English) is the staff member's own, saved on their profile."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ops.models import AuditEntry
from rbac import services
from rbac.exceptions import InvalidLanguage
from rbac.models import StaffProfile
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_user, tree):
    return make_user("clerk", tree["ops"])


def _client(user, **headers) -> Client:
    client = Client(**headers)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_switching_saves_the_language_on_the_profile_and_audits_it(clerk):
    client = _client(clerk)
    response = client.post(
        reverse("rbac-language"),
        {"language": "en", "next": "/admin/"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert StaffProfile.objects.get(user=clerk).language == "en"
    entry = AuditEntry.objects.get(action="rbac.language_set")
    assert entry.after == {"language": "en"}
    assert 'lang="en"' in client.get("/admin/").content.decode()


def test_the_profile_language_beats_the_browser_on_a_new_device(clerk):
    services.staff_language_set(actor=clerk, language="en")
    chinese_browser = _client(clerk, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    page = chinese_browser.get("/admin/").content.decode()
    assert 'lang="en"' in page
    services.staff_language_set(actor=clerk, language="zh-hans")
    english_browser = _client(clerk, HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="zh-hans"' in english_browser.get("/admin/").content.decode()


def test_without_a_saved_language_the_browser_decides(clerk):
    page = _client(clerk, HTTP_ACCEPT_LANGUAGE="en").get("/admin/").content.decode()
    assert 'lang="en"' in page


def test_only_offered_languages_are_saved_and_get_is_refused(clerk):
    with pytest.raises(InvalidLanguage):
        services.staff_language_set(actor=clerk, language="fr")
    client = _client(clerk)
    assert client.get(reverse("rbac-language")).status_code == 405
    client.post(reverse("rbac-language"), {"language": "fr", "next": "/admin/"})
    assert StaffProfile.objects.get(user=clerk).language == ""


def test_the_user_menu_offers_the_switch(clerk):
    page = _client(clerk).get("/admin/").content.decode()
    assert reverse("rbac-language") in page and "English" in page
