"""The login page and the frame around every admin page read in Chinese."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "mall-demo-2026"


def test_the_login_page_is_in_chinese_with_no_link_to_a_site_that_does_not_exist(client):
    html = client.get("/admin/login/").content.decode()
    assert "欢迎回到" in html and "商城管理后台" in html
    assert "用户名" in html and "密码" in html and "登录" in html
    assert "返回网站" not in html and "Return to site" not in html


def test_logging_in_without_a_next_page_lands_on_the_workbench(client, make_staff):
    make_staff("clerk")
    response = client.post("/admin/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_frame_greets_and_names_the_user_in_chinese_name_order(client, make_staff):
    user = make_staff("ops_lead_like")
    get_user_model().objects.filter(pk=user.pk).update(first_name="运营", last_name="刘")
    client.force_login(user)
    response = client.get("/admin/no-such-page/")  # no breadcrumbs: the header greets
    html = response.content.decode()
    assert "欢迎 刘运营" in html
    assert "Welcome" not in html
    assert "刘运营" in html  # the user menu


def test_the_workbench_header_names_the_workbench(client, make_staff):
    client.force_login(make_staff("someone"))
    html = client.get("/admin/").content.decode()
    assert "运营管理" not in html
    assert html.count("工作台") >= 2  # the sidebar entry and the page's header
