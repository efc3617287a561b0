"""Shared pieces of the catalog admin: error text, the reason form, status colours."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.forms import ActionForm

from mall.core.exceptions import ApplicationError
from mall.core.people import person_name

from ..models import (
    CategoryChangeRequest,
    Product,
)


def _error_text(exc: ApplicationError) -> str:
    """The import page shows a refused file as a form error, with the problems per field."""
    details = "; ".join(
        f"{field}: {' '.join(str(m) for m in problems)}" for field, problems in exc.fields.items()
    )
    return f"{exc.message} {details}".strip()


class ReasonActionForm(ActionForm):
    """The bulk actions' bar (the theme's: its "run" button shows once an action is
    chosen) with a reason box for reject / off shelf."""

    reason = forms.CharField(
        label="",
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("reason (for reject / off shelf)"),
                "aria-label": _("reason"),
                "class": "bg-white/20 rounded-default px-2 py-1 text-current "
                "placeholder-white/70 lg:w-72",
            }
        ),
    )


# Colours of the status labels (unfold's label types).
PRODUCT_STATUS_TONES = {
    Product.Status.DRAFT: "info",
    Product.Status.PENDING_REVIEW: "warning",
    Product.Status.REJECTED: "danger",
    Product.Status.APPROVED: "info",
    Product.Status.ON_SHELF: "success",
    Product.Status.OFF_SHELF: "",
}
CHANGE_STATUS_TONES = {
    CategoryChangeRequest.Status.PENDING: "warning",
    CategoryChangeRequest.Status.APPROVED: "success",
    CategoryChangeRequest.Status.REJECTED: "danger",
}


def _person(user) -> str:
    return person_name(user) if user is not None else "—"


# --- categories ------------------------------------------------------------------------
