"""scope_queryset: union of roles, fail-closed cases, constant query counts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from mall.core.scoping import scope_queryset
from rbac import services
from tests.scopetest.models import Colour, RegionOnlyTicket, Site, Ticket, Undeclared

from .conftest import fresh, ticket_in


@pytest.fixture
def tickets(tree, regions, make_user):
    owner = make_user("owner", tree["finance"])
    return {
        code: Ticket.objects.create(
            title=code, region=regions[code], department=tree["finance"], owner=owner
        )
        for code in ("east", "north", "south")
    }


def _visible(user, model=Ticket):
    return set(scope_queryset(fresh(user), model.objects.all()).values_list("title", flat=True))


def test_the_effective_scope_is_the_union_of_all_roles(
    system, tree, regions, make_user, make_role, tickets
):
    user = make_user("ops", tree["ops"])
    services.role_assign(
        actor=system, user=user, role=make_role("east", "regions", region_codes=["east"])
    )
    assert _visible(user) == {"east"}
    services.role_assign(
        actor=system, user=user, role=make_role("north", "regions", region_codes=["north"])
    )
    assert _visible(user) == {"east", "north"}
    Ticket.objects.create(title="mine", region=regions["south"], owner=user)
    services.role_assign(actor=system, user=user, role=make_role("own", "self"))
    assert _visible(user) == {"east", "north", "mine"}


def test_one_role_with_several_regions_sees_all_of_them(
    system, tree, make_user, make_role, tickets
):
    user = make_user("ops", tree["ops"])
    role = make_role("two", "regions", region_codes=["east", "south"])
    services.role_assign(actor=system, user=user, role=role)
    assert _visible(user) == {"east", "south"}


def test_a_department_default_role_adds_to_the_assigned_roles(
    system, tree, make_user, make_role, tickets
):
    user = make_user("ops", tree["ops"])
    services.role_assign(
        actor=system, user=user, role=make_role("east", "regions", region_codes=["east"])
    )
    default = make_role("north-default", "regions", region_codes=["north"])
    services.department_update(actor=system, department=tree["ops"], default_roles=[default])
    assert _visible(user) == {"east", "north"}


def test_a_scope_kind_the_model_cannot_express_contributes_nothing(
    system, tree, regions, make_user, make_role
):
    user = make_user("ops", tree["ops"])
    services.role_assign(actor=system, user=user, role=make_role("dept", "department"))
    RegionOnlyTicket.objects.create(
        title="same dept", region=regions["east"], department=tree["ops"]
    )
    assert _visible(user, RegionOnlyTicket) == set()


def test_a_model_without_a_declared_rule_is_invisible_except_to_superusers(
    system, tree, make_user, make_role, superuser
):
    Undeclared.objects.create(name="x")
    user = make_user("ops", tree["ops"])
    services.role_assign(actor=system, user=user, role=make_role("all", "all"))
    assert scope_queryset(fresh(user), Undeclared.objects.all()).count() == 0
    assert scope_queryset(superuser, Undeclared.objects.all()).count() == 1


def test_unscoped_reference_data_is_visible_to_every_active_staff_member(tree, make_user):
    Colour.objects.create(name="red")
    user = make_user("plain", tree["ops"])  # no roles at all
    assert scope_queryset(fresh(user), Colour.objects.all()).count() == 1


def test_inactive_anonymous_and_non_staff_users_see_nothing(
    system, tree, make_user, make_role, tickets
):
    from django.contrib.auth.models import AnonymousUser

    user = make_user("ops", tree["ops"])
    services.role_assign(actor=system, user=user, role=make_role("all", "all"))
    assert len(_visible(user)) == 3
    get_user_model().objects.filter(pk=user.pk).update(is_staff=False)
    assert _visible(user) == set()
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True, is_active=False)
    assert _visible(user) == set()
    assert scope_queryset(AnonymousUser(), Ticket.objects.all()).count() == 0
    member = get_user_model().objects.create_user("member")
    assert scope_queryset(member, Ticket.objects.all()).count() == 0


def test_an_inactive_superuser_sees_nothing(superuser, tickets):
    get_user_model().objects.filter(pk=superuser.pk).update(is_active=False)
    assert scope_queryset(fresh(superuser), Ticket.objects.all()).count() == 0


def test_object_grants_count_only_through_a_granted_objects_role(
    system, tree, regions, make_user, make_role
):
    user = make_user("clerk", tree["ops"])
    site = Site.objects.create(code="WH-SH")
    Ticket.objects.create(title="at site", region=regions["north"], site=site)
    services.object_permission_grant(actor=system, user=user, perm="scopetest.work_site", obj=site)
    assert _visible(user) == set()
    role = make_role("clerk", "granted_objects")
    services.role_assign(actor=system, user=user, role=role)
    assert _visible(user) == {"at site"}
    assert set(scope_queryset(fresh(user), Site.objects.all())) == {site}
    services.object_permission_revoke(actor=system, user=user, perm="scopetest.work_site", obj=site)
    assert _visible(user) == set()


def test_a_grant_to_a_role_group_counts_for_every_holder(
    system, tree, regions, make_user, make_role
):
    from guardian.shortcuts import assign_perm

    site = Site.objects.create(code="WH-BJ")
    Ticket.objects.create(title="bj", region=regions["north"], site=site)
    role = make_role("bj-clerks", "granted_objects")
    assign_perm("scopetest.work_site", role.group, site)
    user = make_user("clerk", tree["ops"])
    services.role_assign(actor=system, user=user, role=role)
    assert _visible(user) == {"bj"}


def test_granting_a_permission_of_another_model_is_refused(system, tree, make_user):
    from rbac.exceptions import UnknownPermission

    user = make_user("clerk", tree["ops"])
    ticket_owner_site = Site.objects.create(code="S")
    with pytest.raises(UnknownPermission):
        services.object_permission_grant(
            actor=system, user=user, perm="scopetest.close_ticket", obj=ticket_owner_site
        )


def test_the_scoped_sql_uses_literal_ids_not_per_row_lookups(system, tree, make_user, make_role):
    user = make_user("ops", tree["ops"])
    services.role_assign(
        actor=system, user=user, role=make_role("east", "regions", region_codes=["east"])
    )
    services.role_assign(actor=system, user=user, role=make_role("below", "department_and_below"))
    sql = str(scope_queryset(fresh(user), Ticket.objects.all()).query)
    assert '"region_id" IN (' in sql
    assert "rbac_department" in sql  # the sub-department subquery, inside the one query


@pytest.mark.urls("tests.scopetest.urls")
@pytest.mark.parametrize("page_size", [2, 50])
def test_a_scoped_api_list_takes_the_same_number_of_queries_for_any_page_size(
    page_size, system, tree, regions, make_user, make_role, staff_client, django_assert_num_queries
):
    user = make_user("ops", tree["ops"])
    role = make_role("east", "regions", perms=["scopetest.view_ticket"], region_codes=["east"])
    services.role_assign(actor=system, user=user, role=role)
    for number in range(60):
        Ticket.objects.create(title=f"t{number}", region=regions["east"], phone="13800000000")
    client = staff_client(fresh(user))
    # permissions (2) + the user's roles (1) + the page (1)
    with django_assert_num_queries(4):
        response = client.get(reverse("scopetest-ticket-list"), {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


def test_admin_list_filters_on_relations_offer_only_related_rows_in_scope(
    system, tree, regions, make_user, make_role
):
    from django.test import Client

    from tests.scopetest.models import TicketNote

    user = make_user("ops", tree["ops"])
    role = make_role("east", "regions", perms=["scopetest.view_ticketnote"], region_codes=["east"])
    services.role_assign(actor=system, user=user, role=role)
    east = Ticket.objects.create(title="east-ticket", region=regions["east"])
    north = Ticket.objects.create(title="north-ticket", region=regions["north"])
    TicketNote.objects.create(ticket=east, text="e")
    TicketNote.objects.create(ticket=north, text="n")
    client = Client()
    client.force_login(fresh(user))
    response = client.get(reverse("admin:scopetest_ticketnote_changelist"))
    html = response.content.decode()
    assert "east-ticket" in html
    assert "north-ticket" not in html


# --- the scope cache -----------------------------------------------------------------------


def test_a_role_change_is_seen_by_a_user_object_already_holding_a_cached_scope(
    system, east_clerk, regions, make_role
):
    ticket_in("inside-east", regions["east"])
    ticket_in("north", regions["north"])

    def titles():
        return set(scope_queryset(east_clerk, Ticket.objects.all()).values_list("title", flat=True))

    assert titles() == {"inside-east"}  # the scope is now cached on this object
    north = make_role("north-reader", "regions", region_codes=["north"])
    services.role_assign(actor=system, user=fresh(east_clerk), role=north)  # another instance
    assert titles() == {"inside-east", "north"}
    services.staff_deactivate(actor=system, user=fresh(east_clerk), reason="left")
    east_clerk.is_active = False  # the request's user object is reloaded per request
    assert titles() == set()
