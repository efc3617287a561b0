"""Tables that grow without bound use the one big-table switch of the admin kernel
(``estimated_count``), and their searches are the kinds an index serves."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import ShowFacets

from mall.core.admin import ScopedModelAdmin
from mall.core.indexes import SearchIndex

# Tables that grow without bound (orders join this list when they arrive).
BIG_TABLES = {
    "members.member",
    "dispatch.stockmovement",
    "ops.auditentry",
    "core.jobrun",
    "ops.staffnotification",
}

# Substring searches allowed on a big table, and why the scan stays small.
SUBSTRING_SEARCH_ALLOWED = {
    # Each reader's inbox only: the scan is bounded by the (recipient, …) index.
    "ops.staffnotification": {"title", "body"},
}


def _big_table_admins():
    return {
        model._meta.label_lower: model_admin
        for model, model_admin in admin.site._registry.items()
        if getattr(model_admin, "estimated_count", False)
    }


def test_every_table_that_grows_without_bound_has_an_estimated_count_changelist():
    assert set(_big_table_admins()) >= BIG_TABLES


def test_big_table_changelists_offer_no_facet_counts_and_no_select_all_across_pages():
    for label, model_admin in _big_table_admins().items():
        assert model_admin.show_facets == ShowFacets.NEVER, label
        assert model_admin.actions_selection_counter is False, label


def test_big_table_searches_are_exact_or_prefix_on_an_indexed_column():
    for label, model_admin in _big_table_admins().items():
        if type(model_admin).get_search_results is not ScopedModelAdmin.get_search_results:
            continue  # a hand-written search (members: phone hash or id) has its own tests
        indexed = {
            index.field
            for index in model_admin.model._meta.indexes
            if isinstance(index, SearchIndex)
        }
        for spec in model_admin.search_fields:
            field = spec.lstrip("^=")
            if spec[0] in "^=":
                if "__" not in field:  # related codes are resolved on their own table
                    assert field in indexed, f"{label}: {spec} needs a SearchIndex"
                continue
            allowed = SUBSTRING_SEARCH_ALLOWED.get(label, set())
            assert field in allowed, f"{label}: '{spec}' is a LIKE '%…%' scan on a big table"
