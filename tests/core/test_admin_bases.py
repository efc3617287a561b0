"""Every admin screen is built on the kernel's bases: one look, one set of rules.

A model admin that is not the theme's ``ModelAdmin`` renders unstyled; an inline
that is Django's own renders unstyled inside a styled page; an admin without the
declared-lookups rule answers URL-typed lookups (tests/core/test_admin_lookups.py).
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from unfold.admin import ModelAdmin as UnfoldModelAdmin

from mall.core.admin import DeclaredLookupsOnlyMixin, StackedInline, TabularInline
from mall.core.navigation import GROUP_KEYS, group_of


def _admins():
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        yield pytest.param(model_admin, id=model._meta.label)


@pytest.mark.parametrize("model_admin", list(_admins()))
def test_every_admin_uses_the_theme_the_lookup_rule_and_a_work_group(model_admin):
    assert isinstance(model_admin, UnfoldModelAdmin)
    assert isinstance(model_admin, DeclaredLookupsOnlyMixin)
    assert group_of(model_admin) in GROUP_KEYS
    for inline in model_admin.inlines:
        assert issubclass(inline, TabularInline | StackedInline), inline
