"""The access review as a file for sign-off (Excel, or CSV)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mall.core.api import ExportColumn, export_response

from . import selectors
from .models import AccessReview, AccessReviewLine


def _roles(line: AccessReviewLine) -> str:
    parts = []
    for role in line.roles:
        text = f"{role['name']} ({role['code']})"
        if role.get("expires_at"):
            text += f" → {role['expires_at'][:10]}"
        if role.get("source") == "department":
            text += " [dept]"
        parts.append(text)
    return "; ".join(parts)


ACCESS_REVIEW_COLUMNS = [
    ExportColumn(_("username"), "username"),
    ExportColumn(_("department"), "department"),
    ExportColumn(_("superuser"), lambda line: "Y" if line.is_superuser else ""),
    ExportColumn(_("roles"), _roles),
    ExportColumn(_("effective permissions"), lambda line: "\n".join(line.permissions)),
    ExportColumn(_("data scope"), lambda line: "; ".join(line.scope)),
    ExportColumn(_("object grants"), lambda line: "; ".join(line.object_grants)),
    ExportColumn(_("reviewer sign-off"), lambda line: ""),
]


def access_review_export(*, user, review: AccessReview, fmt: str = "xlsx"):
    """Return the review as a download; scoped and audited like every export."""
    return export_response(
        user=user,
        queryset=selectors.access_review_line_list(actor=user, review=review).order_by("username"),
        columns=ACCESS_REVIEW_COLUMNS,
        filename=f"access-review-{review}",
        fmt=fmt,
        filters={"review": review.pk},
        scoped=True,
    )
