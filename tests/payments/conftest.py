# ruff: noqa: F403 - fixtures re-used from the orders tests
"""Fixtures of the payments tests: the orders tests' catalog, stock, members and orders."""

from tests.orders.conftest import *
