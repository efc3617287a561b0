"""Shared fixtures: staff users, API clients, helpers for PostgreSQL-only tests."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_migrate
from rest_framework.test import APIClient

PASSWORD = "mall-demo-2026"

requires_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES,
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…): real row locks and threads",
)


def _reload_reference_data(sender, using="default", **kwargs):
    """Put the regions and provinces back after a transactional test's flush.

    They are loaded by a data migration, and ``flush`` (run after every
    ``transaction=True`` test) empties every table; later tests rely on them.
    """
    if getattr(sender, "label", None) != "rbac":
        return
    from rbac.models import Province, SalesRegion

    if SalesRegion.objects.using(using).exists():
        return
    from importlib import import_module

    data = import_module("rbac.migrations.0002_regions_and_provinces")
    regions = {}
    for code, name, order in data.REGIONS:
        regions[code] = SalesRegion.objects.using(using).create(
            code=code, name=name, sort_order=order
        )
    Province.objects.using(using).bulk_create(
        Province(code=code, name=name, full_name=full, region=regions[region])
        for code, name, full, region in data.PROVINCES
    )


post_migrate.connect(_reload_reference_data, dispatch_uid="tests_reload_reference_data")


@pytest.fixture(autouse=True)
def _celery_join_state():
    """Put Celery's process-global "joining would block" flag back after each test.

    Eager ``apply_async`` sets it inside ``denied_join_result()`` and restores the
    value it saw; threads of a concurrency test doing that at once (every audited
    commit asks for a seal) can leave it set, and a later real-worker test's
    ``result.get()`` would then refuse to wait.
    """
    yield
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _guard_registry():
    """Put the kernel guard's registries (rules, review handlers, verdict observers) back
    after each test: a test that registers or clears them must not switch risk control
    off for the tests after it."""
    from mall.core import guard

    rules = {point: dict(found) for point, found in guard._rules.items()}
    handlers, observers = list(guard._review_handlers), list(guard._observers)
    yield
    guard._rules.clear()
    guard._rules.update(rules)
    guard._review_handlers[:] = handlers
    guard._observers[:] = observers


@pytest.fixture(autouse=True)
def _clear_cache():
    """Lockout counters and throttles live in the cache; each test starts clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_staff(db):
    def make(username: str = "staff", *, perms: tuple[str, ...] = (), superuser: bool = False):
        from django.contrib.auth.models import Permission

        user = get_user_model().objects.create_user(
            username=username, password=PASSWORD, is_staff=True, is_superuser=superuser
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return get_user_model().objects.get(pk=user.pk)  # fresh permission cache

    return make


@pytest.fixture
def superuser(make_staff):
    return make_staff("root", superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def staff_client(api_client):
    def login(user):
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return login


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings, tmp_path):
    """Each test anchors its audit chain in its own file (the chain is per database)."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchors.jsonl"
    return settings.AUDIT_ANCHOR_PATH


def _reload_orders_reference_data(sender, using="default", **kwargs):
    """Put the own-store channel and the default freight template back after a flush
    (orders' data migration 0002 creates them; every order needs a channel)."""
    if getattr(sender, "label", None) != "orders":
        return
    from importlib import import_module

    from django.apps import apps as global_apps

    data = import_module("orders.migrations.0002_default_channel_and_freight")
    data.create(global_apps, None)


post_migrate.connect(_reload_orders_reference_data, dispatch_uid="tests_reload_orders_reference")
