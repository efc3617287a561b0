"""Errors of the reports app (stable codes; the API renders them in its error shape)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound


class ReportNotFound(NotFound):
    """A missing report, one the reader may not download, or a malformed id alike."""


class ReportFileMissing(ApplicationError):
    code = "report_file_missing"
    status_code = status.HTTP_410_GONE
    default_message = _("The file of this report is no longer stored.")


class SubscriptionNotAllowed(ApplicationError):
    code = "subscription_not_allowed"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _(
        "Reports are mall-wide: only staff who may read every region's orders and hold "
        "the report permission can subscribe."
    )


class InvalidReportInput(ApplicationError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
