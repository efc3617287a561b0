"""Data scopes (数据权限): which rows of a scoped model a user may see.

:func:`scope_queryset` is the one function the admin, the API, exports, reports and
jobs run for a person go through (registered with ``mall.core.scoping`` in
``RbacConfig.ready()``). The rules:

* an inactive, anonymous or non-staff user sees nothing; an active superuser sees all;
* a model without a declared rule is invisible to everybody else (fail closed);
* ``unscoped=True`` rules (reference data) show every row — the function permission
  is checked by the admin and the API, not here;
* otherwise each role the user holds contributes rows by its scope kind, and the
  user sees the union:

  ``all``                  every row,
  ``department``           rows whose department is the user's,
  ``department_and_below`` rows whose department is the user's or below it,
  ``regions``              rows whose sales region is one of the role's regions,
  ``self``                 rows the user owns,
  ``granted_objects``      rows whose granted object (warehouse, sales channel …) the
                           user holds the rule's object permission on (django-guardian),
  ``none``                 nothing (a role of function permissions only).

  A kind the model's rule cannot express (``regions`` on a model without a region
  path) contributes nothing. The user's scope is read once per user object (two or
  three small queries) and turned into one ``WHERE`` with literal ids, so the row
  query uses indexes and the query count does not depend on the page size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from mall.core.scoping import ScopeRule, scope_rule_for

from .models import Department, Role, ScopeKind

_CACHE_ATTR = "_rbac_scope_cache"
# Bumped whenever any user's roles or grants change (clear_scope_cache): a scope cached
# on another object of the same user (say request.user) is then recomputed, so a change
# made earlier in the same request is never served stale.
_generation = 0
SELF_PATHS = {"", "pk", "id", "self"}


@dataclass
class UserScope:
    """What a user's roles add up to, resolved once and reused for every model."""

    kinds: set[str] = field(default_factory=set)
    region_ids: set[int] = field(default_factory=set)
    department_path: str | None = None
    department_id: int | None = None
    granted: dict[str, set[str]] = field(default_factory=dict)  # perm → object pks (str)
    generation: int = -1

    @property
    def is_empty(self) -> bool:
        return not (self.kinds - {ScopeKind.NONE})


def user_roles(user) -> QuerySet[Role]:
    """The active roles a user holds: role groups they are in (assigned or by department)."""
    return Role.objects.filter(is_active=True, group__user=user).distinct()


def _resolve(user) -> UserScope:
    scope = UserScope(generation=_generation)
    rows = Role.objects.filter(is_active=True, group__user=user).values_list(
        "scope_kind", "regions__id"
    )
    for kind, region_id in rows:
        scope.kinds.add(kind)
        if kind == ScopeKind.REGIONS and region_id is not None:
            scope.region_ids.add(region_id)
    if scope.kinds & {ScopeKind.DEPARTMENT, ScopeKind.DEPARTMENT_AND_BELOW}:
        department = (
            Department.objects.filter(members__user=user, members__is_active=True)
            .values("id", "path")
            .first()
        )
        if department:
            scope.department_id = department["id"]
            scope.department_path = department["path"]
    return scope


def user_scope(user) -> UserScope:
    """Return (and cache on the user object) the user's resolved scope."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None or cached.generation != _generation:
        cached = _resolve(user)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def clear_scope_cache(user) -> None:
    """Forget ``user``'s cached scope and permissions (and any cached scope's freshness)."""
    global _generation
    _generation += 1
    for attr in (_CACHE_ATTR, "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def granted_object_pks(user, perm: str, scope: UserScope | None = None) -> set[str]:
    """Primary keys (as strings) of objects on which ``user`` holds object permission ``perm``.

    Direct user grants and grants to the user's groups both count (django-guardian).
    """
    scope = scope if scope is not None else user_scope(user)
    if perm in scope.granted:
        return scope.granted[perm]
    from guardian.models import GroupObjectPermission, UserObjectPermission

    app_label, codename = perm.split(".", 1)
    direct = UserObjectPermission.objects.filter(
        user=user,
        permission__codename=codename,
        permission__content_type__app_label=app_label,
    ).values_list("object_pk", flat=True)
    via_groups = GroupObjectPermission.objects.filter(
        group__user=user,
        permission__codename=codename,
        permission__content_type__app_label=app_label,
    ).values_list("object_pk", flat=True)
    pks = set(direct.union(via_groups))
    scope.granted[perm] = pks
    return pks


def _path(path: str, suffix: str) -> str:
    return f"{path}__{suffix}" if path not in SELF_PATHS else suffix


def _is_active_staff(user) -> bool:
    return (
        isinstance(user, get_user_model())
        and user.is_authenticated
        and user.is_active
        and user.is_staff
    )


def scope_filter(user, rule: ScopeRule, model) -> Q | None:
    """Return the ``Q`` of rows ``user`` may see under ``rule`` (``None`` = all rows).

    An empty ``Q(pk__in=[])`` means nothing.
    """
    nothing = Q(pk__in=[])
    if rule.unscoped:
        return None
    scope = user_scope(user)
    if ScopeKind.ALL in scope.kinds:
        return None
    terms: list[Q] = []
    if ScopeKind.REGIONS in scope.kinds and rule.region and scope.region_ids:
        terms.append(Q(**{f"{_path(rule.region, 'id')}__in": sorted(scope.region_ids)}))
    if rule.department and scope.department_path:
        if ScopeKind.DEPARTMENT_AND_BELOW in scope.kinds:
            below = Department.objects.filter(path__startswith=scope.department_path).values("id")
            terms.append(Q(**{f"{_path(rule.department, 'id')}__in": below}))
        elif ScopeKind.DEPARTMENT in scope.kinds:
            terms.append(Q(**{_path(rule.department, "id"): scope.department_id}))
    if ScopeKind.SELF in scope.kinds and rule.owner:
        terms.append(Q(**{_path(rule.owner, "id"): user.pk}))
    if ScopeKind.GRANTED_OBJECTS in scope.kinds and rule.grant:
        path, perm = rule.grant
        target = _grant_target_model(model, path)
        pks = granted_object_pks(user, perm, scope)
        if pks and target is not None:
            pk_field = target._meta.pk
            values = sorted({pk_field.to_python(pk) for pk in pks})
            terms.append(Q(**{f"{_path(path, 'pk')}__in": values}))
    if not terms:
        return nothing
    combined = terms[0]
    for term in terms[1:]:
        combined |= term
    return combined


def _grant_target_model(model, path: str):
    if path in SELF_PATHS:
        return model
    current = model
    for part in path.split("__"):
        relation = current._meta.get_field(part)
        current = relation.related_model
        if current is None:
            return None
    return current


def scope_queryset(user, queryset: QuerySet) -> QuerySet:
    """Return the rows of ``queryset`` that ``user`` may see (module docstring)."""
    if not _is_active_staff(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    rule = scope_rule_for(queryset.model)
    if rule is None:
        return queryset.none()
    condition = scope_filter(user, rule, queryset.model)
    if condition is None:
        return queryset
    # distinct() only when a to-many path could duplicate rows.
    queryset = queryset.filter(condition)
    if _crosses_to_many(queryset.model, rule):
        queryset = queryset.distinct()
    return queryset


def _crosses_to_many(model, rule: ScopeRule) -> bool:
    paths = [rule.region, rule.department, rule.owner, rule.grant[0] if rule.grant else None]
    for path in paths:
        if not path or path in SELF_PATHS:
            continue
        current = model
        for part in path.split("__"):
            relation = current._meta.get_field(part)
            if relation.many_to_many or relation.one_to_many:
                return True
            current = relation.related_model
            if current is None:
                break
    return False


def scope_describe(user) -> list[str]:
    """Human-readable lines describing the user's data scope (access review, API)."""
    if not (user.is_active and user.is_staff):
        return ["none"]
    if user.is_superuser:
        return ["superuser: all"]
    scope = user_scope(user)
    lines: list[str] = []
    for kind in sorted(scope.kinds):
        if kind == ScopeKind.REGIONS:
            from .models import SalesRegion

            codes = SalesRegion.objects.filter(id__in=scope.region_ids).values_list(
                "code", flat=True
            )
            lines.append(f"regions: {', '.join(sorted(codes))}")
        elif kind in (ScopeKind.DEPARTMENT, ScopeKind.DEPARTMENT_AND_BELOW):
            name = (
                Department.objects.filter(pk=scope.department_id)
                .values_list("name", flat=True)
                .first()
            )
            lines.append(f"{kind}: {name or '-'}")
        else:
            lines.append(str(kind))
    return lines or ["none"]


def object_grants_describe(user) -> list[str]:
    """``app.perm on <label> #pk`` lines for every object grant a user holds directly."""
    from guardian.models import UserObjectPermission

    lines = []
    for grant in UserObjectPermission.objects.filter(user=user).select_related(
        "permission", "content_type"
    ):
        label = ContentType.objects.get_for_id(grant.content_type_id)
        lines.append(
            f"{label.app_label}.{grant.permission.codename} on {label.model} #{grant.object_pk}"
        )
    return sorted(lines)
