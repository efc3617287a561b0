"""RBAC admin: regions, departments, roles, staff, grants, requests and reviews.

Every screen reads through the data scope and writes through ``rbac.services``.
One module per section; importing them registers the screens.
"""

from . import departments, grants, regions, requests, reviews, roles, staff  # noqa: F401
