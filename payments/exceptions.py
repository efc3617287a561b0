"""Errors of the payments app (stable codes; the API renders them in its error shape)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound

from .gateways.base import (  # noqa: F401 - re-exported: one place to import errors from
    ChannelError,
    ChannelUnavailable,
    InvalidNotification,
    InvalidSignature,
)


class PaymentsPermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("You do not have permission to do this.")


class InvalidPaymentInput(ApplicationError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The request is not valid.")


class PaymentStateConflict(ApplicationError):
    code = "invalid_state"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This is not possible in the current state.")


class AmountMismatch(ApplicationError):
    code = "amount_mismatch"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The paid amount does not match the order.")


class UnknownTransaction(ApplicationError):
    code = "unknown_transaction"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("No transaction has this number.")


class RefundExceedsPaid(ApplicationError):
    code = "refund_exceeds_paid"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The refund would exceed what was paid.")


class InsufficientBalance(ApplicationError):
    code = "insufficient_balance"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The member's balance is not enough.")


class TransactionNotFound(NotFound):
    code = "not_found"
    default_message = _("No such payment transaction.")


class RefundNotFound(NotFound):
    code = "not_found"
    default_message = _("No such refund.")


class AnomalyNotFound(NotFound):
    code = "not_found"
    default_message = _("No such payment anomaly.")


class SettlementNotFound(NotFound):
    code = "not_found"
    default_message = _("No such settlement.")


# --- reconciliation ---------------------------------------------------------------------


class ReconciliationNotFound(NotFound):
    code = "not_found"
    default_message = _("No such reconciliation.")


class DiscrepancyNotFound(NotFound):
    code = "not_found"
    default_message = _("No such discrepancy.")


class AdjustmentNotFound(NotFound):
    code = "not_found"
    default_message = _("No such adjustment.")


class ReconciliationRunning(ApplicationError):
    code = "reconciliation_running"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This bill is already being reconciled.")


class ReconciliationChannelUnsupported(ApplicationError):
    code = "reconciliation_channel_unsupported"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("Bills of this channel cannot be reconciled.")


class BillTooLarge(ApplicationError):
    code = "bill_too_large"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_message = _("The bill file is larger than allowed.")


class DiscrepancyStateConflict(ApplicationError):
    code = "invalid_state"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This discrepancy cannot be changed in its current state.")


class SameApprover(ApplicationError):
    code = "same_approver"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("An adjustment must be approved by someone other than its proposer.")


class TieOutFailed(ApplicationError):
    """A run's bill totals do not equal the sum of its classified lines: a matcher bug,
    never a bill problem (the run fails; nothing of it stays)."""

    code = "tie_out_failed"
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_message = _("The reconciliation totals do not tie out.")
