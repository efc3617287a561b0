"""Schemathesis over /api/schema/: every operation as four personas, no 5xx, schema kept.

Each operation runs as a superuser, a region-scoped staff member (demo-like ops
permissions), a member (storefront bearer token) and anonymously, with real
credentials, so staff and storefront endpoints are exercised past authentication
as well as refused at it (401/403/404 are documented answers). Endpoints added by
later work join automatically.

Bounded for CI: a few deterministic examples per operation and persona
(``derandomize``), schemathesis' explicit-examples and fuzzing phases. Its
"coverage" phase (a boundary value for every parameter) is left to the kernel's own
sweep, ``tests/api/test_bad_input_sweep.py``, which sends the same kinds of values
to every operation in a fraction of the time.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from mall.wsgi import application

EXAMPLES_PER_OPERATION = 5


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    """Calls go straight into the WSGI app, which closes "obsolete" connections at
    the end of each request; inside the test's transaction that would close the test's
    own connection. Django's test client unhooks the same receivers."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loaded at collection: generating the schema touches no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.phases.update(phases=["examples", "fuzzing"])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db
def test_api_operation_never_fails_and_matches_its_schema(case, persona):
    _name, headers = persona
    case.call_and_validate(
        headers=headers,
        # A schema-valid body may still break a business rule (wrong password, no stock):
        # those are documented 4xx answers, not failures. Everything else is checked.
        excluded_checks=[positive_data_acceptance],
    )
