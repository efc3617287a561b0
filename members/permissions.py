"""Permission codenames of the members app (declared once) and storefront permission."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

VIEW_MEMBER = "members.view_member"
VIEW_MEMBER_PII = "members.view_member_pii"
MANAGE_MEMBER_STATUS = "members.manage_member_status"
ADJUST_MEMBER_POINTS = "members.adjust_member_points"
ADJUST_MEMBER_GROWTH = "members.adjust_member_growth"
VIEW_COUPON_TEMPLATE = "members.view_coupontemplate"
ADD_COUPON_TEMPLATE = "members.add_coupontemplate"
CHANGE_COUPON_TEMPLATE = "members.change_coupontemplate"
VIEW_LEVEL = "members.view_level"
CHANGE_LEVEL = "members.change_level"
VIEW_GROWTH = "members.view_growthentry"
VIEW_POINTS = "members.view_pointsentry"
VIEW_COUPON = "members.view_coupon"
VIEW_ADDRESS = "members.view_address"


def is_member(user) -> bool:
    from .models import Member

    return isinstance(user, Member) and user.is_active


class IsMember(BasePermission):
    """An active member authenticated with a member token (never staff)."""

    def has_permission(self, request, view) -> bool:
        return is_member(request.user)
