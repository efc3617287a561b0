"""``{% staff_inbox_link %}``: the admin header link to my notifications and the unread count."""

from django import template

from ops.selectors import notification_unread_count

register = template.Library()


@register.inclusion_tag("admin/ops/inbox_link.html", takes_context=True)
def staff_inbox_link(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = notification_unread_count(actor=user)
    return {"unread_count": unread}
