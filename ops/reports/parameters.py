"""System parameters of the reports app (read with ``ops.parameters.get_parameter``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ops.parameters import INT, register_parameter

# Seed 001 §四 / 003: operating documents are kept at least two years.
ARCHIVE_RETENTION_DAYS = "reports.archive_retention_days"
register_parameter(
    ARCHIVE_RETENTION_DAYS,
    kind=INT,
    default=730,
    minimum=730,
    maximum=3650,
    description=_("Keep generated reports this many days (at least 730, two years)"),
)
