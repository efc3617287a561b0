"""Fixtures of the backups tests: the backup folders and a scratch database name."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import connection

from ops.backups import engines
from tests.members.conftest import admin_client_for  # noqa: F401


@pytest.fixture
def backup_dirs(settings, tmp_path):
    """Primary and offsite folders of this test (the audit anchors stay where they are)."""
    settings.BACKUP_DIR = tmp_path / "primary"
    settings.BACKUP_OFFSITE_DIR = tmp_path / "offsite"
    return settings.BACKUP_DIR, settings.BACKUP_OFFSITE_DIR


@pytest.fixture
def scratch_name(backup_dirs):
    """A scratch database by the naming rule: ``<test db>_restore_t`` on PostgreSQL, a file
    in ``BACKUP_DIR/scratch`` on SQLite; dropped after the test whatever happened."""
    if django_settings.IS_POSTGRES:
        name = f"{connection.settings_dict['NAME']}_restore_t"
    else:
        name = str(engines.scratch_dir() / "scratch.sqlite3")
    yield name
    engines.drop_scratch(name)


@pytest.fixture
def tech_lead(make_staff):
    from ops.backups.demo import ROLE_PERMISSIONS

    return make_staff("tech_lead_t", perms=tuple(ROLE_PERMISSIONS["tech_lead"]))


@pytest.fixture
def cs_agent(make_staff):
    return make_staff("cs_agent_t", perms=("orders.view_order",))
