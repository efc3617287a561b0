"""Test settings: the environment's settings plus what only tests want."""

import os
import re

from .settings import *  # noqa: F403

TESTING = True
# Hashing cost is not what the tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "artifacts" / "test-media"  # noqa: F405
PRIVATE_MEDIA_ROOT = Path(  # noqa: F405
    os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "artifacts" / "test-private")  # noqa: F405
)
STORAGES["private"]["OPTIONS"]["location"] = PRIVATE_MEDIA_ROOT  # noqa: F405
# Backups made by tests (the demo seeds one): under artifacts/, one folder per xdist
# worker so two test processes never write the same backup file name.
BACKUP_DIR = (
    BASE_DIR / "artifacts" / "test-backups" / os.environ.get("PYTEST_XDIST_WORKER", "main")  # noqa: F405
)

# A test-only app with scoped models: the scope matrix and the browser test use it
# (tests/scopetest; its API is mounted by tests that ask for tests.scopetest.urls).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.scopetest"]  # noqa: F405
# Tests call tasks in-process even when REDIS_URL is set; the one test that proves a
# real worker (tests/integration/test_celery_worker.py) turns eager mode off itself.
CELERY_TASK_ALWAYS_EAGER = True

# Parallel test workers (pytest-xdist) each get their own Redis database, because the
# tests clear the cache and Redis clears a whole database at once.
if REDIS_URL:  # noqa: F405
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    _index = int(re.sub(r"\D", "", _worker) or 0)
    _match = re.match(r"^(redis://[^/]+)/?(\d*)$", REDIS_URL)  # noqa: F405
    if _match:
        _db = (int(_match.group(2) or 0) + _index) % 16
        CACHES["default"]["LOCATION"] = f"{_match.group(1)}/{_db}"  # noqa: F405
        # Metric counters (mall/core/metrics.py) beside the cache: only this test worker
        # flushes that database, between tests, never under another worker's test.
        METRICS_REDIS_URL = CACHES["default"]["LOCATION"]  # noqa: F405
METRICS_REDIS_KEY = f"mall:test-metrics:{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"

# Audit anchors of a test run stay out of the backup location (tests/conftest.py gives
# each test its own file; this is for whatever runs outside a test).
AUDIT_ANCHOR_PATH = BASE_DIR / "artifacts" / "test-audit-anchors.jsonl"  # noqa: F405
