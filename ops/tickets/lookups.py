"""Turning what people type (a phone number, an order or after-sales number) into rows the
actor may see — shared by the APIs and the admin.

Each lookup goes through the owning app's scoped selector and answers a miss with a
``TicketInvalid`` (400) on the field, in the same words whether the row does not exist,
is another member's or lies outside the actor's scope: no hint that it exists.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .exceptions import TicketInvalid


def member_by_phone(actor, phone: str, *, field: str = "member_phone"):
    """The member ``actor`` may see whose phone is exactly ``phone`` (lookup hash)."""
    from members.selectors import member_get_by_phone

    member = member_get_by_phone(actor=actor, phone=phone or "")
    if member is None:
        raise TicketInvalid(fields={field: [_("No member has this phone number.")]})
    return member


def member_by_id(actor, pk, *, field: str = "member"):
    from mall.core.exceptions import NotFound
    from members.selectors import member_get

    try:
        return member_get(actor=actor, pk=pk)
    except NotFound:
        raise TicketInvalid(fields={field: [_("No member has this id.")]}) from None


def links(actor, order_no: str | None, after_sale_no: str | None):
    """``(order, after_sale)`` named by number, read as ``actor`` (a member: their own)."""
    from mall.core.exceptions import NotFound
    from orders.selectors import after_sale_get, order_get

    order = after_sale = None
    if order_no:
        try:
            order = order_get(actor=actor, order_no=order_no)
        except NotFound:
            raise TicketInvalid(
                fields={"order_no": [_("No order of this member has this number.")]}
            ) from None
    if after_sale_no:
        try:
            after_sale = after_sale_get(actor=actor, case_no=after_sale_no)
        except NotFound:
            raise TicketInvalid(
                fields={"after_sale_no": [_("No after-sales case of this member has this number.")]}
            ) from None
    return order, after_sale
