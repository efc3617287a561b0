"""Review fixes: leaks through side doors, leavers' requests, expired requests, password audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory, override_settings
from django.urls import clear_url_caches, reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from mall.core.admin import ScopedModelAdmin
from mall.core.scoping import scope_queryset
from ops.models import AuditEntry
from rbac import selectors, services, tasks
from rbac.exceptions import RbacPermissionDenied, RequestExpired, RoleDepartmentMismatch
from rbac.models import PermissionRequest
from tests.scopetest.models import Site, Ticket, TicketNote

from .conftest import PASSWORD, fresh


@pytest.fixture
def east_clerk(system, tree, regions, make_user, make_role):
    role = make_role(
        "east-clerk",
        "regions",
        perms=["scopetest.view_ticket", "scopetest.view_ticketnote", "scopetest.change_ticketnote"],
        region_codes=["east"],
    )
    user = make_user("east_clerk", tree["ops"])
    services.role_assign(actor=system, user=user, role=role)
    return fresh(user)


def _system():
    from mall.core.actors import system_actor

    return system_actor()


def _ticket(title, region, **kwargs):
    return Ticket.objects.create(title=title, region=region, **kwargs)


# --- admin side doors ---------------------------------------------------------------------


class _RawIdNoteAdmin(ScopedModelAdmin):
    raw_id_fields = ["ticket"]


def test_a_raw_id_field_never_shows_the_label_of_a_row_outside_scope(east_clerk, regions):
    inside = _ticket("inside-east", regions["east"])
    outside = _ticket("secret-north", regions["north"])
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
    _ticket("inside-east", regions["east"], site=granted)
    _ticket("secret-north", regions["north"], site=other)
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


# --- DRF filter parameters ----------------------------------------------------------------


@pytest.fixture
def scopetest_urls():
    with override_settings(ROOT_URLCONF="tests.scopetest.urls"):
        clear_url_caches()
        yield
    clear_url_caches()


def test_filtering_on_a_related_row_outside_scope_answers_like_a_missing_one(
    east_clerk, regions, staff_client, scopetest_urls
):
    hidden = Site.objects.create(code="WH-BJ")
    _ticket("secret-north", regions["north"], site=hidden)
    _ticket("inside-east", regions["east"])
    client = staff_client(east_clerk)
    url = "/api/v1/scopetest/tickets/"
    hidden_answer = client.get(url, {"site": hidden.pk})
    missing_answer = client.get(url, {"site": hidden.pk + 1000})
    assert missing_answer.status_code == 400
    assert hidden_answer.status_code == missing_answer.status_code
    assert hidden_answer.json()["error"]["code"] == missing_answer.json()["error"]["code"]


# --- permission requests: leavers, expiry -------------------------------------------------


@pytest.fixture
def people(system, tree, make_user, make_role):
    head = make_user("ops_head", tree["ops"])
    services.department_update(actor=system, department=tree["ops"], head=head)
    approver_role = make_role("tech-lead", perms=["rbac.approve_permission_request"])
    tech = make_user("tech", tree["root"])
    services.role_assign(actor=system, user=tech, role=approver_role)
    requester = make_user("requester", tree["ops_east"])
    wanted = make_role("wanted", "all", perms=["rbac.view_staffprofile"])
    return {
        "head": fresh(head),
        "tech": fresh(tech),
        "requester": fresh(requester),
        "role": wanted,
    }


def test_deactivating_a_leaver_closes_their_pending_requests(system, people):
    request = services.permission_request_create(
        actor=people["requester"], role=people["role"], reason="month-end close"
    )
    services.staff_deactivate(actor=system, user=people["requester"], reason="left")
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.CANCELLED
    assert not selectors.permission_requests_awaiting(actor=people["head"]).exists()
    assert AuditEntry.objects.filter(
        action="rbac.permission_request_cancel", object_id=str(request.pk)
    ).exists()


def test_a_request_whose_grant_expiry_has_passed_cannot_be_approved_and_the_job_closes_it(
    people,
):
    request = services.permission_request_create(
        actor=people["requester"],
        role=people["role"],
        reason="stocktake",
        grant_expires_at=timezone.now() + timedelta(hours=2),
    )
    services.permission_request_approve(actor=people["head"], permission_request=request)
    PermissionRequest.objects.filter(pk=request.pk).update(
        grant_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(RequestExpired):
        services.permission_request_approve(actor=people["tech"], permission_request=request)
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.PENDING
    assert not fresh(people["requester"]).has_perm("rbac.view_staffprofile")
    tasks.role_assignments_expire_task.apply().get()
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.CANCELLED
    assert AuditEntry.objects.filter(
        action="rbac.permission_request_expire", object_id=str(request.pk)
    ).exists()


def test_approving_an_expired_request_over_the_api_is_a_409(people, staff_client):
    request = services.permission_request_create(
        actor=people["requester"],
        role=people["role"],
        reason="stocktake",
        grant_expires_at=timezone.now() + timedelta(hours=2),
    )
    PermissionRequest.objects.filter(pk=request.pk).update(
        grant_expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = staff_client(people["head"]).post(
        f"/api/v1/rbac/permission-requests/{request.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "request_expired"


# --- password changes in the user admin ---------------------------------------------------


def test_a_password_change_in_the_user_admin_goes_through_a_service_and_is_audited(
    superuser, tree, make_user
):
    target = make_user("clerk", tree["ops"])
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = client.post(
        url,
        {
            "password1": "N3w-secret-pass!",
            "password2": "N3w-secret-pass!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:500]
    target = get_user_model().objects.get(pk=target.pk)
    assert target.check_password("N3w-secret-pass!")
    entry = AuditEntry.objects.get(action="auth.password_change", object_id=str(target.pk))
    assert entry.actor_id == superuser.pk
    assert "N3w-secret-pass!" not in str(entry.data)


def test_a_password_change_in_the_user_admin_outside_scope_is_not_found(tree, make_user, make_role):
    role = make_role("hr-ops", "department", perms=["auth.view_user", "auth.change_user"])
    hr = make_user("hr", tree["ops"])
    services.role_assign(actor=_system(), user=hr, role=role)
    outsider = make_user("fin_clerk", tree["finance"])
    client = Client()
    client.force_login(fresh(hr))
    url = reverse("admin:auth_user_password_change", args=[outsider.pk])
    response = client.post(url, {"password1": "N3w-secret-pass!", "password2": "N3w-secret-pass!"})
    assert response.status_code in (302, 404)
    assert get_user_model().objects.get(pk=outsider.pk).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="auth.password_change").exists()


# --- a role restricted to one department never reaches another's staff ---------------------


def test_a_restricted_role_cannot_be_a_default_role_of_another_department(
    system, tree, make_user, make_role
):
    ops_only = make_role("ops-only", "all", perms=["rbac.view_role"], department=tree["ops"])
    accountant = make_user("accountant", tree["finance"])
    with pytest.raises(RoleDepartmentMismatch):
        services.department_update(
            actor=system, department=tree["finance"], default_roles=[ops_only]
        )
    with pytest.raises(RoleDepartmentMismatch):
        services.department_create(
            actor=system, code="audit", name="审计部", parent=tree["root"], default_roles=[ops_only]
        )
    assert not fresh(accountant).has_perm("rbac.view_role")
    # inside the department (and below) it is fine
    services.department_update(actor=system, department=tree["ops_east"], default_roles=[ops_only])


def test_restricting_a_role_that_is_another_departments_default_is_refused(
    system, tree, make_user, make_role
):
    shared = make_role("shared", "all", perms=["rbac.view_role"])
    services.department_update(actor=system, department=tree["finance"], default_roles=[shared])
    accountant = make_user("accountant", tree["finance"])
    assert fresh(accountant).has_perm("rbac.view_role")
    with pytest.raises(RoleDepartmentMismatch):
        services.role_update(actor=system, role=shared, department=tree["ops"])
    shared.refresh_from_db()
    assert shared.department_id is None


def test_moving_a_department_away_from_a_restricted_roles_department_is_refused(
    system, tree, make_user, make_role
):
    ops_only = make_role("ops-only", "all", perms=["rbac.view_role"], department=tree["ops"])
    east_clerk = make_user("east_clerk", tree["ops_east"])
    services.role_assign(actor=system, user=east_clerk, role=ops_only)
    with pytest.raises(RoleDepartmentMismatch):
        services.department_update(
            actor=system, department=tree["ops_east"], parent=tree["finance"]
        )
    tree["ops_east"].refresh_from_db()
    assert tree["ops_east"].parent_id == tree["ops"].pk


def test_a_restricted_role_for_another_departments_staff_over_the_api_is_a_409(
    system, tree, make_user, make_role, staff_client
):
    ops_only = make_role("ops-only", "all", perms=["rbac.view_role"], department=tree["ops"])
    admin_role = make_role(
        "rbac-admin", "all", perms=["rbac.view_role", "rbac.assign_role", "auth.view_user"]
    )
    granter = make_user("granter", tree["root"])
    services.role_assign(actor=system, user=granter, role=admin_role)
    accountant = make_user("accountant", tree["finance"])
    response = staff_client(fresh(granter)).post(
        f"/api/v1/rbac/roles/{ops_only.pk}/assign/", {"user": "accountant"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "role_department_mismatch"
    assert not fresh(accountant).has_perm("rbac.view_role")


# --- approvals by someone who then leaves -------------------------------------------------


def test_a_leavers_half_approval_is_withdrawn_so_a_current_head_must_approve(system, people):
    request = services.permission_request_create(
        actor=people["requester"], role=people["role"], reason="month-end close"
    )
    services.permission_request_approve(actor=people["head"], permission_request=request)
    services.staff_deactivate(actor=system, user=people["head"], reason="left")
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.PENDING
    assert request.head_approver_id is None
    services.permission_request_approve(actor=people["tech"], permission_request=request)
    request.refresh_from_db()
    assert request.status == PermissionRequest.Status.PENDING  # still needs a head
    assert not fresh(people["requester"]).has_perm("rbac.view_staffprofile")
    assert AuditEntry.objects.filter(
        action="rbac.permission_request_approval_withdrawn", object_id=str(request.pk)
    ).exists()


# --- staff personal data in the admin (docs/PERMISSIONS.md: masked without the permission) ---


@pytest.fixture
def hr_without_pii(system, tree, make_user, make_role):
    role = make_role(
        "hr-clerk",
        "all",
        perms=[
            "rbac.view_staffprofile",
            "rbac.change_staffprofile",
            "auth.view_user",
            "auth.change_user",
        ],
    )
    hr = make_user("hr", tree["root"])
    services.role_assign(actor=system, user=hr, role=role)
    return fresh(hr)


def test_the_staff_admin_masks_phone_and_names_without_the_pii_permission(
    hr_without_pii, tree, make_user
):
    target = make_user(
        "wangfang", tree["ops"], phone="13912345678", first_name="芳", last_name="王"
    )
    client = Client()
    client.force_login(hr_without_pii)
    profile_page = client.get(
        reverse("admin:rbac_staffprofile_change", args=[target.staff_profile.pk])
    ).content.decode()
    assert "13912345678" not in profile_page
    assert "139****5678" in profile_page
    user_list = client.get(reverse("admin:auth_user_changelist")).content.decode()
    user_page = client.get(reverse("admin:auth_user_change", args=[target.pk])).content.decode()
    for page in (user_list, user_page):
        assert "王" not in page and "芳" not in page
    # names cannot be probed by searching either
    found = client.get(reverse("admin:auth_user_changelist"), {"q": "王"}).content.decode()
    assert "wangfang" not in found
    found = client.get(reverse("admin:rbac_staffprofile_changelist"), {"q": "芳"}).content.decode()
    assert "wangfang" not in found


def test_masked_staff_can_still_be_edited_without_wiping_the_phone(hr_without_pii, tree, make_user):
    target = make_user("wangfang", tree["ops"], phone="13912345678")
    profile = target.staff_profile
    client = Client()
    client.force_login(hr_without_pii)
    response = client.post(
        reverse("admin:rbac_staffprofile_change", args=[profile.pk]),
        {
            "employee_number": profile.employee_number,
            "department": tree["ops_east"].pk,
            "joined_on": profile.joined_on.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile.refresh_from_db()
    assert profile.department == tree["ops_east"]
    assert profile.phone == "13912345678"


# --- scope cache --------------------------------------------------------------------------


def test_a_role_change_is_seen_by_a_user_object_already_holding_a_cached_scope(
    system, east_clerk, regions, make_role
):
    _ticket("inside-east", regions["east"])
    _ticket("north", regions["north"])

    def titles():
        return set(scope_queryset(east_clerk, Ticket.objects.all()).values_list("title", flat=True))

    assert titles() == {"inside-east"}  # the scope is now cached on this object
    north = make_role("north-reader", "regions", region_codes=["north"])
    services.role_assign(actor=system, user=fresh(east_clerk), role=north)  # another instance
    assert titles() == {"inside-east", "north"}
    services.staff_deactivate(actor=system, user=fresh(east_clerk), reason="left")
    east_clerk.is_active = False  # the request's user object is reloaded per request
    assert titles() == set()


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


# --- admin side doors that were already closed (kept closed) ------------------------------


@pytest.mark.parametrize("suffix", ["change", "history", "delete"])
def test_admin_pages_of_a_row_outside_scope_answer_like_a_missing_row(east_clerk, regions, suffix):
    outside = _ticket("secret-north", regions["north"])
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
    _ticket("inside-east", regions["east"])
    _ticket("secret-north", regions["north"])
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


def test_list_filters_refuse_values_outside_their_schema(superuser, staff_client, tree, make_user):
    make_user("active_one", tree["ops"])
    client = staff_client(superuser)
    assert client.get("/api/v1/rbac/staff/", {"is_active": "null"}).status_code == 400
    assert client.get("/api/v1/rbac/roles/", {"is_active": "maybe"}).status_code == 400
    listed = client.get("/api/v1/rbac/staff/", {"is_active": "true"})
    assert [row["username"] for row in listed.json()["results"]] == ["active_one"]
    assert not client.get("/api/v1/rbac/staff/", {"is_active": "false"}).json()["results"]
    awaiting = client.get("/api/v1/rbac/permission-requests/awaiting-me/", {"status": "AAA"})
    assert awaiting.status_code == 400
    assert awaiting.json()["error"]["code"]


# --- nobody grants themselves (the two-approver rule is the way to more rights) -------------


def test_a_role_granter_cannot_give_themselves_a_role_a_permission_or_an_object(
    system, tree, make_user, make_role, staff_client
):
    granter_role = make_role(
        "granter",
        "all",
        perms=[
            "rbac.view_role",
            "rbac.assign_role",
            "auth.view_user",
            "rbac.change_user_permissions",
            "rbac.grant_object_permission",
        ],
    )
    wide = make_role("wide", "all", perms=["members.view_member_pii"])
    granter = make_user("granter", tree["ops"])
    services.role_assign(actor=system, user=granter, role=granter_role)
    granter = fresh(granter)
    with pytest.raises(RbacPermissionDenied):
        services.role_assign(actor=granter, user=fresh(granter), role=wide)
    with pytest.raises(RbacPermissionDenied):
        services.user_permission_add(
            actor=granter, user=fresh(granter), perm="members.view_member_pii"
        )
    with pytest.raises(RbacPermissionDenied):
        services.object_permission_grant(
            actor=granter,
            user=fresh(granter),
            perm="scopetest.work_site",
            obj=Site.objects.create(code="WH-SH"),
        )
    response = staff_client(granter).post(
        f"/api/v1/rbac/roles/{wide.pk}/assign/", {"user": "granter"}, format="json"
    )
    assert response.status_code == 403
    assert not fresh(granter).has_perm("members.view_member_pii")
    # giving it to somebody else is what the permission is for
    other = make_user("other", tree["ops"])
    services.role_assign(actor=granter, user=other, role=wide)
    assert fresh(other).has_perm("members.view_member_pii")


def test_a_role_editor_cannot_widen_a_role_they_hold_or_their_own_departments_defaults(
    system, tree, make_user, make_role
):
    editor_role = make_role(
        "role-editor", "department", perms=["rbac.change_role", "rbac.change_department"]
    )
    editor = make_user("editor", tree["ops"])
    services.role_assign(actor=system, user=editor, role=editor_role)
    editor = fresh(editor)
    with pytest.raises(RbacPermissionDenied):
        services.role_update(
            actor=editor, role=editor_role, permissions=["members.view_member_pii"]
        )
    with pytest.raises(RbacPermissionDenied):
        services.role_update(actor=editor, role=editor_role, scope_kind="all")
    with pytest.raises(RbacPermissionDenied):
        services.role_permissions_add(
            actor=editor, role=editor_role, permissions=["members.view_member_pii"]
        )
    wide = make_role("wide", "all", perms=["members.view_member_pii"])
    with pytest.raises(RbacPermissionDenied):
        services.department_update(actor=editor, department=tree["ops"], default_roles=[wide])
    assert not fresh(editor).has_perm("members.view_member_pii")
    # renaming one's own role, or editing roles one does not hold, stays possible
    services.role_update(actor=editor, role=editor_role, name="Role editors")
    services.role_update(actor=editor, role=wide, permissions=["rbac.view_role"])
    services.department_update(actor=editor, department=tree["finance"], default_roles=[wide])
