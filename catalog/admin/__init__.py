"""Catalog admin: categories, products (listing workflow), prices, imports.

Every screen reads through ``catalog.selectors`` and writes through
``catalog.services``. One module per section; importing them registers the screens.
"""

from . import categories, imports, prices, products  # noqa: F401
