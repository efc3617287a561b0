"""One text key per business object: ``"catalog.product:12"``.

Used where a row points at "the thing it is about" without a foreign key to every
model (staff notices, workbench links): ``subject_key(obj)`` is the one spelling.
"""

from __future__ import annotations

from django.db import models


def subject_key(obj: models.Model) -> str:
    """``"<app_label>.<model_name>:<pk>"`` of a saved model instance."""
    if obj.pk is None:
        raise ValueError("subject_key: the object is not saved")
    return f"{obj._meta.app_label}.{obj._meta.model_name}:{obj.pk}"
