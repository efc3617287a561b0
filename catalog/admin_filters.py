"""Changelist filters of the catalog admin (each declares the parameters it reads).

The kernel's ``DeclaredLookupsOnlyMixin`` accepts only parameters a filter declares
(``expected_parameters``): ``category`` (a node of the tree, its whole branch),
``owner`` (a user id), ``created_at_from``/``created_at_to`` and the same for
``updated_at`` (dates, both ends included).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import DropdownFilter, RangeDateFilter
from unfold.utils import parse_date_str

from mall.core.people import person_label

from . import selectors


def category_path(category) -> str:
    """ "家用电器 / 厨房电器 / 电饭煲": the node's full path (parents must be joined)."""
    names = []
    node = category
    while node is not None:
        names.append(node.name)
        node = node.parent if node.parent_id else None
    return " / ".join(reversed(names))


class CategoryTreeFilter(DropdownFilter):
    """A category of any level, shown by full path in tree order; its branch is kept."""

    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        categories = selectors.category_tree(actor=request.user)
        return [(str(category.pk), category_path(category)) for category in categories]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return queryset.none()
        return queryset.filter(
            Q(category_id=pk) | Q(category__parent_id=pk) | Q(category__parent__parent_id=pk)
        )


class OwnerFilter(DropdownFilter):
    """The product's owner by real name (only owners of products in the reader's scope)."""

    title = _("owner")
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [
            (str(user.pk), person_label(user))
            for user in selectors.product_owners(actor=request.user)
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(owner_id=int(value))
        except (TypeError, ValueError):
            return queryset.none()


class DateRangeFilter(RangeDateFilter):
    """From / to dates (both days included) on a date-time column."""

    def queryset(self, request, queryset):
        filters = {}
        for end, lookup in (("from", "gte"), ("to", "lte")):
            value = self.used_parameters.get(f"{self.parameter_name}_{end}")
            if value:
                parsed = parse_date_str(value)
                if parsed is None:
                    return queryset.none()
                filters[f"{self.parameter_name}__date__{lookup}"] = parsed
        return queryset.filter(**filters)


class CategoryLevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("1", _("level 1")), ("2", _("level 2")), ("3", _("level 3"))]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(level=int(value)) if value in ("1", "2", "3") else queryset
