"""Kernel selectors: staff API tokens, own or (with the manage permission) in scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .exceptions import NotFound
from .models import StaffToken
from .scoping import scope_queryset
from .services import MANAGE_STAFF_TOKENS


def token_list(*, actor) -> QuerySet[StaffToken]:
    """The caller's own tokens; every token in their data scope with the manage permission."""
    queryset = StaffToken.objects.select_related("user")
    if actor is not None and actor.has_perm(MANAGE_STAFF_TOKENS):
        in_scope = scope_queryset(actor, StaffToken.objects.all()).values("pk")
        return queryset.filter(Q(pk__in=in_scope) | Q(user_id=actor.pk))
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return queryset.none()
    return queryset.filter(user_id=actor.pk)


def token_get(*, actor, pk: int) -> StaffToken:
    token = token_list(actor=actor).filter(pk=pk).first()
    if token is None:
        raise NotFound()
    return token
