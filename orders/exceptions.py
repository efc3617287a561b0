"""Domain errors of the orders app, with stable codes (API error shape)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound, PermissionDeniedError


class OrdersError(ApplicationError):
    code = "orders_error"


class OrderNotFound(NotFound):
    code = "not_found"
    default_message = _("Order not found.")


class AfterSaleNotFound(NotFound):
    code = "not_found"
    default_message = _("After-sales case not found.")


class ReviewNotFound(NotFound):
    code = "not_found"
    default_message = _("Review not found.")


class ChannelNotFound(NotFound):
    code = "not_found"
    default_message = _("Sales channel not found.")


class OrdersPermissionDenied(PermissionDeniedError):
    default_message = _("You do not have permission to do this.")


class InvalidOrderInput(OrdersError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The order is not valid.")


class OrderStateConflict(OrdersError):
    """The order's status (or frozen flag) does not allow the action."""

    code = "invalid_state"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The order cannot do this in its current status.")


class OrderFrozen(OrderStateConflict):
    code = "order_frozen"
    default_message = _("The order is frozen by risk control.")


class OrderNotCancellable(OrderStateConflict):
    code = "order_not_cancellable"
    default_message = _("The order can no longer be cancelled.")


class ChannelUnavailable(OrdersError):
    code = "channel_unavailable"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("The sales channel does not take orders.")


class ChannelHasOpenOrders(OrdersError):
    code = "channel_has_open_orders"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The channel still has unsettled orders and cannot be switched off.")


class AfterSaleNotAllowed(OrdersError):
    code = "after_sale_not_allowed"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This after-sales request is not allowed.")


class ReviewNotAllowed(OrdersError):
    code = "review_not_allowed"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This review is not allowed.")


# --- promotions (docs/PROMOTIONS.md) ----------------------------------------------------


class PromotionNotFound(NotFound):
    code = "not_found"
    default_message = _("No such promotion.")


class InvalidPromotionInput(OrdersError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_message = _("Check the promotion's fields.")


class PromotionStateConflict(OrdersError):
    code = "invalid_state"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This promotion cannot be changed in its current state.")


class PromotionSameApprover(OrdersError):
    code = "same_approver"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _(
        "A promotion must be approved by someone other than its creator, editor or submitter."
    )


class SoldOut(OrdersError):
    """The flash session's quota of a SKU is gone (answered by the gate or the database)."""

    code = "sold_out"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Sold out in this flash sale.")


class LimitExceeded(OrdersError):
    code = "limit_exceeded"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("You have reached the limit per member for this flash sale.")


class FlashSessionNotRunning(OrdersError):
    code = "session_not_running"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This flash sale is not running.")


class PriceChanged(OrdersError):
    """A campaign's budget ran out between the preview and the placement."""

    code = "price_changed"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("A campaign's budget has run out; preview the order again.")
