"""The admin never names a row outside the reader's scope, through any side door.

Raw-id labels, relation list filters (also ``a__b`` paths), change/history/delete
URLs, autocomplete, preserved changelist filters and object-grant forms all answer
for a row outside scope exactly as for a missing one.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.test import Client, RequestFactory
from django.urls import reverse
from guardian.shortcuts import assign_perm

from mall.core.admin import ScopedModelAdmin
from rbac import services
from tests.scopetest.models import Site, Ticket, TicketNote

from .conftest import fresh, ticket_in


class _RawIdNoteAdmin(ScopedModelAdmin):
    raw_id_fields = ["ticket"]


def test_a_raw_id_field_never_shows_the_label_of_a_row_outside_scope(east_clerk, regions):
    inside = ticket_in("inside-east", regions["east"])
    outside = ticket_in("secret-north", regions["north"])
    model_admin = _RawIdNoteAdmin(TicketNote, admin.site)
    request = RequestFactory().get("/")
    request.user = east_clerk
    formfield = model_admin.formfield_for_foreignkey(TicketNote._meta.get_field("ticket"), request)
    widget = formfield.widget
    assert "secret-north" not in widget.render("ticket", outside.pk)
    assert "inside-east" in widget.render("ticket", inside.pk)
    assert widget.label_and_url_for_value("not-a-number") == ("", "")


class _PathFilterNoteAdmin(ScopedModelAdmin):
    list_filter = ["ticket__site", ("ticket", RelatedFieldListFilter)]


def test_list_filters_on_relation_paths_offer_only_related_rows_in_scope(
    system, east_clerk, regions, make_role
):
    site_worker = make_role("site-worker", "granted_objects")
    services.role_assign(actor=system, user=east_clerk, role=site_worker)
    granted = Site.objects.create(code="WH-SH")
    other = Site.objects.create(code="WH-BJ")
    assign_perm("scopetest.work_site", east_clerk, granted)
    east_clerk = fresh(east_clerk)
    ticket_in("inside-east", regions["east"], site=granted)
    ticket_in("secret-north", regions["north"], site=other)
    model_admin = _PathFilterNoteAdmin(TicketNote, admin.site)
    request = RequestFactory().get("/")
    request.user = east_clerk
    site_entry, ticket_entry = model_admin.get_list_filter(request)
    site_filter = site_entry[1](
        Ticket._meta.get_field("site"), request, {}, TicketNote, model_admin, site_entry[0]
    )
    ticket_filter = ticket_entry[1](
        TicketNote._meta.get_field("ticket"), request, {}, TicketNote, model_admin, ticket_entry[0]
    )
    site_choices = site_filter.lookup_choices
    ticket_choices = ticket_filter.lookup_choices
    assert [label for _pk, label in site_choices] == ["WH-SH"]
    assert [label for _pk, label in ticket_choices] == ["inside-east"]


@pytest.mark.parametrize("suffix", ["change", "history", "delete"])
def test_admin_pages_of_a_row_outside_scope_answer_like_a_missing_row(east_clerk, regions, suffix):
    outside = ticket_in("secret-north", regions["north"])
    client = Client()
    client.force_login(east_clerk)
    hidden = client.get(f"/admin/scopetest/ticket/{outside.pk}/{suffix}/")
    missing = client.get(f"/admin/scopetest/ticket/{outside.pk + 1000}/{suffix}/")
    assert hidden.status_code == missing.status_code
    assert b"secret-north" not in hidden.content
    assert hidden.get("Location", "").replace(str(outside.pk), "X") == missing.get(
        "Location", ""
    ).replace(str(outside.pk + 1000), "X")


def test_autocomplete_and_changelist_filters_never_reach_rows_outside_scope(east_clerk, regions):
    ticket_in("inside-east", regions["east"])
    ticket_in("secret-north", regions["north"])
    client = Client()
    client.force_login(east_clerk)
    listed = client.get(
        "/admin/scopetest/ticket/", {"region__id__exact": regions["north"].pk}
    ).content
    assert b"secret-north" not in listed
    preserved = client.get(
        "/admin/scopetest/ticket/",
        {"_changelist_filters": f"region__id__exact={regions['north'].pk}"},
    ).content
    assert b"secret-north" not in preserved
    found = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "scopetest",
            "model_name": "ticketnote",
            "field_name": "ticket",
            "term": "",
        },
    )
    assert found.status_code == 200
    assert [row["text"] for row in found.json()["results"]] == ["inside-east"]


def test_an_object_grant_in_the_admin_only_names_objects_in_the_granters_scope(
    system, tree, make_user, make_role
):
    granter_role = make_role(
        "site-granter", "granted_objects", perms=["rbac.grant_object_permission"]
    )
    granter = make_user("granter", tree["root"])
    services.role_assign(actor=system, user=granter, role=granter_role)
    services.role_assign(actor=system, user=granter, role=make_role("root-people", "department"))
    own = Site.objects.create(code="WH-SH")
    other = Site.objects.create(code="WH-BJ")
    assign_perm("scopetest.work_site", granter, own)
    clerk = make_user("clerk", tree["root"])
    client = Client()
    client.force_login(fresh(granter))
    from django.contrib.auth.models import Permission

    perm = Permission.objects.get(codename="work_site")
    url = reverse("admin:guardian_userobjectpermission_add")
    hidden = client.post(url, {"user": clerk.pk, "permission": perm.pk, "object_pk": other.pk})
    missing = client.post(url, {"user": clerk.pk, "permission": perm.pk, "object_pk": 99999})
    assert hidden.status_code == missing.status_code == 200
    assert not clerk.userobjectpermission_set.exists()
    granted = client.post(url, {"user": clerk.pk, "permission": perm.pk, "object_pk": own.pk})
    assert granted.status_code == 302
    assert clerk.userobjectpermission_set.count() == 1
