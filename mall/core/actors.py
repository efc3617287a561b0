"""The system actor: who Celery jobs and commands act as, so audit rows name someone."""

from __future__ import annotations

from django.contrib.auth import get_user_model

SYSTEM_USERNAME = "system"


def system_actor():
    """Return the inactive ``system`` user, creating it on first use."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "is_staff": False, "first_name": "System"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_system_actor(user) -> bool:
    return getattr(user, "username", None) == SYSTEM_USERNAME
