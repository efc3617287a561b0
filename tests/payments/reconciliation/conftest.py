# ruff: noqa: F403 - fixtures re-used from the orders tests
"""Fixtures of the reconciliation tests: the orders tests' catalog, stock, members and
orders (the sandbox bill is written from real transactions and refunds)."""

from tests.orders.conftest import *
