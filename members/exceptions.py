"""Domain errors of the members app, with stable codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from mall.core.exceptions import ApplicationError, NotFound


class MemberError(ApplicationError):
    code = "member_error"


class MemberNotFound(NotFound):
    """Missing or outside the caller's data scope: the kernel's ``not_found`` either way."""

    default_message = _("Member not found.")


class InvalidPhone(MemberError):
    code = "invalid_phone"
    default_message = _("Enter a valid mainland China mobile number.")


class PhoneTaken(MemberError):
    code = "phone_taken"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This phone number is already registered.")


class InvalidCredentials(MemberError):
    code = "invalid_credentials"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_message = _("Phone number or password is incorrect.")


class LoginLockedOut(MemberError):
    code = "locked_out"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many failed logins. Try again later.")


class MemberInactive(MemberError):
    code = "member_inactive"
    status_code = status.HTTP_403_FORBIDDEN
    default_message = _("This member account is frozen or closed.")


class InvalidStatusChange(MemberError):
    code = "invalid_status_change"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The member's status cannot change this way.")


class AddressNotFound(NotFound):
    """Missing, another member's, or outside the caller's data scope: the kernel's
    ``not_found`` in every case (like ``MemberNotFound``)."""

    default_message = _("Address not found.")


class UnknownProvince(MemberError):
    code = "unknown_province"
    default_message = _("Unknown province.")


class InsufficientPoints(MemberError):
    code = "insufficient_points"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Not enough points.")


class InvalidPoints(MemberError):
    code = "invalid_points"
    default_message = _("Points must be a positive whole number.")


class PointsNotRefundable(MemberError):
    code = "points_not_refundable"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("These points cannot be refunded.")


class PointsCapExceeded(MemberError):
    code = "points_cap_exceeded"
    default_message = _("More points than this order may use.")


class AlreadySignedIn(MemberError):
    code = "already_signed_in"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("Already signed in today.")


class CouponTemplateNotFound(NotFound):
    code = "coupon_template_not_found"
    default_message = _("Coupon not found.")


class LevelNotFound(NotFound):
    code = "level_not_found"
    default_message = _("Level not found.")


class CouponSoldOut(MemberError):
    code = "coupon_sold_out"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("All coupons of this kind have been claimed.")


class CouponLimitReached(MemberError):
    code = "coupon_limit_reached"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("You already hold the maximum number of this coupon.")


class CouponNotClaimable(MemberError):
    code = "coupon_not_claimable"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This coupon cannot be claimed now.")


class CouponNotUsable(MemberError):
    code = "coupon_not_usable"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This coupon cannot be used for this order.")


class InvalidCouponTemplate(MemberError):
    code = "invalid_coupon_template"
    default_message = _("The coupon template is not valid.")


class InvalidLevelRule(MemberError):
    code = "invalid_level_rule"
    default_message = _("The level rule is not valid.")


class LedgerReferenceTaken(MemberError):
    """A ledger reference (unique per reason) already belongs to another member's entry."""

    code = "ledger_reference_taken"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("This reference is already used by another member's ledger entry.")


class PhoneSearchRateLimited(MemberError):
    """A staff user searched members by phone more often than the hourly limit allows."""

    code = "phone_search_rate_limited"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many searches by phone number; try again within the hour.")


class InsufficientBalance(MemberError):
    """The member's stored balance (储值) is less than the amount to take."""

    code = "insufficient_balance"
    status_code = status.HTTP_409_CONFLICT
    default_message = _("The member's balance is not enough.")


class InvalidBalanceAmount(MemberError):
    code = "invalid"
    default_message = _("Give an amount in yuan with at most two decimals.")


# --- SMS verification codes (issue 16) -------------------------------------------------


class InvalidSmsCode(MemberError):
    """The SMS code is missing, wrong, expired, used, or died after too many guesses.

    One code and one message for every case: the answer does not tell a guesser which.
    """

    code = "invalid_sms_code"
    default_message = _("The SMS verification code is wrong or has expired.")


class InvalidSmsPurpose(MemberError):
    code = "invalid"
    default_message = _("Unknown SMS code purpose.")
