"""``{% staff_unread_count as count %}``: the admin header's inbox badge."""

from django import template

from ops.notifications import notification_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_unread_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return notification_unread_count(actor=user)
