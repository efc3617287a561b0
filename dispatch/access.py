"""Access checks of the dispatch services: function permission and warehouse scope."""

from __future__ import annotations

from django.db.models import QuerySet

from mall.core.actors import is_system_actor
from mall.core.scoping import scope_queryset

from .exceptions import DispatchNotFound, DispatchPermissionDenied
from .models import Warehouse


def require_permission(actor, perm: str) -> None:
    """Raise unless ``actor`` holds ``perm`` (the system actor acts for jobs)."""
    if is_system_actor(actor):
        return
    if not getattr(actor, "is_active", False) or not actor.has_perm(perm):
        raise DispatchPermissionDenied()


def require_warehouse_access(actor, warehouse: Warehouse) -> None:
    """Raise "not found" unless the warehouse is inside the actor's data scope.

    Warehouse clerks hold an object grant on their warehouse (``dispatch.work_warehouse``);
    ops roles see warehouses of their regions; the system actor works everywhere.
    """
    if is_system_actor(actor):
        return
    if not scope_queryset(actor, Warehouse.objects.filter(pk=warehouse.pk)).exists():
        raise DispatchNotFound()


def warehouses_in_scope(actor) -> QuerySet[Warehouse] | None:
    """The warehouses ``actor`` may see; ``None`` (every warehouse) for the system actor.

    For answers computed from stock figures (pre-dispatch): a person's answer is
    computed over these warehouses only, so it tells nothing about the others.
    """
    if is_system_actor(actor):
        return None
    return scope_queryset(actor, Warehouse.objects.all())
