# ruff: noqa: F403 - fixtures re-used from the orders tests
"""Fixtures of the reconciliation tests: the orders tests' catalog, stock, members and
orders (the sandbox bill is written from real transactions and refunds)."""

import pytest
from django.utils import translation

from tests.orders.conftest import *


@pytest.fixture(autouse=True)
def _english_messages():
    """The tests read the parsers' messages in English (the msgids), whatever the
    project's language and the state of its translations."""
    with translation.override("en"):
        yield
