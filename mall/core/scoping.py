"""Data scopes: how each model declares its scope, and the one call that applies it.

Each scoped model declares once (in its app's ``AppConfig.ready()``) which of its
fields carry the sales region, the department, the owning staff member and the
object-granted parent (warehouse, sales channel)::

    declare_scope(Order, region="region", owner="created_by",
                  grant=("channel", "orders.work_channel"))
    declare_scope(Category, unscoped=True)   # reference data: function permission only

``rbac`` implements the scope kinds (DESIGN.md §4) and registers its function with
:func:`register_scoper` in ``RbacConfig.ready()``; the admin and API bases call
:func:`scope_queryset` here so they need not import ``rbac``. Until a scoper is
registered the kernel fails closed: superusers see everything, everybody else nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet


@dataclass(frozen=True)
class ScopeRule:
    """Field paths (``__`` lookups from the model) that data scopes filter on."""

    region: str | None = None  # → rbac.SalesRegion
    department: str | None = None  # → rbac.Department
    owner: str | None = None  # → the staff user who owns / created the row
    grant: tuple[str, str] | None = None  # (path to the granted object, its permission)
    unscoped: bool = False  # reference data: every user with the function permission


_rules: dict[type[models.Model], ScopeRule] = {}

Scoper = Callable[[object, QuerySet], QuerySet]
_scoper: Scoper | None = None


def declare_scope(model: type[models.Model], **rule) -> ScopeRule:
    declared = ScopeRule(**rule)
    _rules[model] = declared
    return declared


def scope_rule_for(model: type[models.Model]) -> ScopeRule | None:
    model = model._meta.concrete_model or model
    return _rules.get(model)


def declared_models() -> dict[type[models.Model], ScopeRule]:
    return dict(_rules)


def register_scoper(scoper: Scoper) -> None:
    global _scoper
    _scoper = scoper


def scope_queryset(user, queryset: QuerySet) -> QuerySet:
    """Return the rows of ``queryset`` that ``user`` may see."""
    if _scoper is not None:
        return _scoper(user, queryset)
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return queryset
    return queryset.none()


def sees_every_row(user, model: type[models.Model]) -> bool:
    """True when ``user``'s data scope puts no condition on ``model`` (scope "all", a
    superuser, or an unscoped model) — for figures summed over every row (a channel's
    whole bill), which only such a user may read. Builds the query, never runs it."""
    return not scope_queryset(user, model._default_manager.all()).query.where


def is_member_actor(actor) -> bool:
    """True for a storefront member acting as ``request.user`` (members' ``Member``
    declares ``is_member = True``; the kernel cannot import it)."""
    return getattr(actor, "is_member", False) is True


def visible_rows(actor, queryset: QuerySet, *, member_path: str | None = "member") -> QuerySet:
    """The one read rule of every app's selectors: the rows of ``queryset`` ``actor`` may
    read.

    * a **member** (storefront) sees only their own rows — ``member_path`` leads from the
      row to its member (``None``: rows no member may read);
    * the **system actor** (jobs, commands) sees every row;
    * a **staff user** sees the rows in their RBAC data scope (:func:`scope_queryset`).
    """
    from .actors import is_system_actor

    if is_member_actor(actor):
        if member_path is None:
            return queryset.none()
        return queryset.filter(**{member_path: actor.pk})
    if is_system_actor(actor):
        return queryset
    return scope_queryset(actor, queryset)
