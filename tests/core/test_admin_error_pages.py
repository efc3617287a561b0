"""Error pages: inside the admin frame for staff on /admin/, plain elsewhere, JSON under /api/.

The words are general: nothing of the exception's message, and "not in your scope"
reads the same as "does not exist".
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import Http404
from django.test import RequestFactory

from mall import urls

pytestmark = pytest.mark.django_db

# What only the admin frame has: the sidebar and the theme's user menu.
FRAME_MARKERS = ('id="nav-sidebar', "商城管理后台")


def _in_frame(html: str) -> bool:
    return 'id="admin-error"' in html and all(marker in html for marker in FRAME_MARKERS)


@pytest.fixture
def clerk(make_staff):
    return make_staff("clerk", perms=("dispatch.view_stock",))


def test_a_page_the_role_may_not_open_is_a_403_inside_the_admin_frame(client, clerk):
    client.force_login(clerk)
    response = client.get("/admin/ops/auditentry/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    html = response.content.decode()
    assert _in_frame(html)
    assert "您无权打开此页面" in html


def test_an_unknown_admin_page_is_a_404_inside_the_admin_frame(client, clerk):
    client.force_login(clerk)
    response = client.get("/admin/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert _in_frame(html)
    assert "页面不存在" in html
    assert "no-such-page" not in html.split('id="admin-error"')[1]


def test_a_lookup_the_list_does_not_offer_is_a_400_inside_the_admin_frame(admin_client):
    response = admin_client.get("/admin/auth/user/?password__startswith=pbkdf2")
    assert response.status_code == 400
    html = response.content.decode()
    assert _in_frame(html)
    assert "请求无法处理" in html
    assert "password__startswith" not in html


def test_the_404_page_never_repeats_the_exception_or_says_why():
    """A row outside scope and a row that does not exist give the same page."""
    staff = get_user_model().objects.create_user("s", is_staff=True)
    pages = []
    for reason in ("Product 7 is outside your regions", "No Product matches the query"):
        request = RequestFactory().get("/admin/catalog/product/7/change/")
        request.user = staff
        response = urls.error_404(request, Http404(reason))
        assert response.status_code == 404
        html = response.content.decode()
        assert reason not in html
        pages.append(re.sub(r'csrfmiddlewaretoken" value="[^"]+"', "", html))
    assert pages[0] == pages[1]


def test_a_500_under_admin_is_inside_the_frame_and_plain_when_the_frame_fails(monkeypatch):
    staff = get_user_model().objects.create_user("s", is_staff=True)
    request = RequestFactory().get("/admin/")
    request.user = staff
    response = urls.error_500(request)
    assert response.status_code == 500
    assert _in_frame(response.content.decode())

    def broken(request):
        raise RuntimeError("database gone")

    monkeypatch.setattr(admin.site, "each_context", broken)
    response = urls.error_500(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "出错了" in html and not _in_frame(html)
    assert "database gone" not in html


def test_outside_the_admin_and_for_non_staff_the_page_is_plain(client, make_staff):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and not _in_frame(html)

    visitor = get_user_model().objects.create_user("visitor")  # not staff
    request = RequestFactory().get("/admin/no-such-page/")
    request.user = visitor
    html = urls.error_404(request).content.decode()
    assert "页面不存在" in html and not _in_frame(html)


def test_the_api_keeps_its_json_error_shape(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
