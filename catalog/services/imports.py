"""The status table of Excel imports.

The import service itself is :func:`catalog.excel.product_import` (the file is read,
checked and applied there). A record is created in its final status: ``applied``
(every row written) or ``failed`` (nothing written, the error report attached).
"""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import ProductImport

PRODUCT_IMPORT_TRANSITIONS = register_transitions(
    ProductImport,
    {ProductImport.Status.APPLIED: set(), ProductImport.Status.FAILED: set()},
    initial=[ProductImport.Status.APPLIED, ProductImport.Status.FAILED],
)
