"""The admin sidebar (mall.core.navigation): grouped by work, each role sees what it may open."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from mall.core import navigation

pytestmark = pytest.mark.django_db


def _sidebar(user) -> list[dict]:
    request = RequestFactory().get("/admin/")
    request.user = user
    with translation.override("zh-hans"):
        return [{**group, "title": str(group["title"])} for group in navigation.sidebar(request)]


def _titles(user) -> list[str]:
    return [group["title"] for group in _sidebar(user)]


def test_every_registered_admin_names_a_known_group():
    unknown = {
        model._meta.label: navigation.group_of(model_admin)
        for model, model_admin in admin.site._registry.items()
        if navigation.group_of(model_admin) not in navigation.GROUP_KEYS
    }
    assert not unknown


def test_groups_come_in_the_order_of_the_work_and_orders_only_once_it_has_admins(superuser):
    titles = _titles(superuser)
    with translation.override("zh-hans"):
        order = [str(title) for _key, title, _icon in navigation.GROUPS]
        orders_title = str({k: t for k, t, _i in navigation.GROUPS}["orders"])
    assert titles == [title for title in order if title in titles]
    orders_admins = [
        model
        for model, model_admin in admin.site._registry.items()
        if navigation.group_of(model_admin) == "orders"
    ]
    assert (orders_title in titles) == bool(orders_admins)


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text) or text.isupper()  # or SKU


def test_each_group_and_entry_has_an_icon_and_a_chinese_title(superuser):
    test_apps = {
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
        if m.__module__.startswith("tests.")
    }
    for group in _sidebar(superuser):
        assert _chinese(group["title"]), group["title"]
        for item in group["items"]:
            if item["link"] in test_apps:
                continue
            assert item["icon"], item
            assert _chinese(item["title"]), item["title"]


def test_no_sidebar_for_people_who_are_not_active_staff(make_staff):
    user = get_user_model().objects.create_user("visitor")
    assert _sidebar(user) == []
    staff = make_staff("gone")
    staff.is_active = False
    assert _sidebar(staff) == []


def test_a_role_sees_only_entries_it_may_open(make_staff, client):
    clerk = make_staff("clerk_only_stock", perms=("dispatch.view_stock",))
    sidebar = _sidebar(clerk)
    links = [item["link"] for group in sidebar for item in group["items"]]
    assert reverse("admin:dispatch_stock_changelist") in links
    assert reverse("admin:ops_auditentry_changelist") not in links
    client.force_login(clerk)
    for link in links:
        assert client.get(link).status_code == 200, link


# Entries every staff member has for their own things (their tasks, notices, tokens,
# permission requests); everything else a clerk sees must be stock work.
PERSONAL = {
    "core.filejob",
    "core.stafftoken",
    "ops.staffnotification",
    "rbac.permissionrequest",
}
# Tables of running the back office: never for a warehouse clerk.
ADMINISTRATION_APPS = {"auth", "guardian", "django_celery_beat", "rbac", "ops", "core"}


def test_the_demo_warehouse_clerk_sees_no_permission_or_system_tables():
    call_command("seed_demo", stdout=io.StringIO())
    clerk = get_user_model().objects.get(username="warehouse_sh")
    changelists = {
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"): m._meta.label_lower
        for m in admin.site._registry
    }
    seen = [
        changelists[item["link"]]
        for group in _sidebar(clerk)
        for item in group["items"]
        if item["link"] in changelists
    ]
    assert any(label.startswith("dispatch.") for label in seen)
    administration = [
        label
        for label in seen
        if label.split(".")[0] in ADMINISTRATION_APPS and label not in PERSONAL
    ]
    assert not administration
