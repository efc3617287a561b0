# ruff: noqa: F403
from tests.orders.conftest import *
