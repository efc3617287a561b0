"""The rbac fixtures (department tree, staff with a role of a given scope) for kernel tests."""

from tests.rbac.conftest import (  # noqa: F401 - fixtures
    make_role,
    make_user,
    regions,
    system,
    tree,
)
