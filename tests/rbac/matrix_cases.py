"""The scope test matrix: one ``ScopeCase`` per scoped model.

A later scoped model (orders, shipments, stock, after-sales, members, risk events …)
joins the matrix by appending ONE ``ScopeCase`` to ``CASES`` below (or to
``tests/<app>/scope_cases.py`` or ``scope_cases_<area>.py`` as ``CASES = [...]``,
collected automatically). The
matrix (tests/rbac/test_scope_matrix.py) then checks, for every scope kind, every
entry point: admin changelist, admin change URL, admin action on a mixed selection,
admin FK dropdown, API list, API detail, API custom action, export.

The factory ``make_row(*, region, department, owner, grant_target)`` makes one row
that belongs to the given sales region, department, owning staff user and granted
object (warehouse, sales channel …; ``None`` if the model has none). It uses what
its model has and ignores the rest: the model's declared scope rule decides which
scope kinds can see it. The matrix makes three rows:

* A — the subject's: region east, the subject's department, owned by the subject,
  under the object the subject holds a grant on;
* B — an outsider's: region north, another department, another owner and object;
* C — a junior's: region north, a sub-department of the subject's, another owner.

and expects, per kind: all → A B C; regions(east) → A; department → A;
department_and_below → A C; self → A; granted_objects → A; none → nothing; and a
kind the model's rule cannot express → nothing. ``always_visible`` names rows a
model's selector shows whatever the scope (a requester always sees their own
permission request). Rows outside A, B, C (demo data, fixtures) are ignored.

Entry points a model does not offer are left ``None`` and reported as skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class ScopeCase:
    id: str
    model: str  # "app_label.ModelName"
    make_row: Callable[..., Any]
    permissions: tuple[str, ...]  # function permissions the subject's role holds
    make_grant_target: Callable[[], Any] | None = None
    urls: str | None = None  # URLconf to use (None: the project's)
    # admin (URL names); None skips the entry point
    admin_changelist: str | None = None
    admin_change: str | None = None
    admin_action: str | None = None  # an admin action that changes rows
    was_touched: Callable[[Any], bool] | None = None  # did the action change this row?
    action_applies_to_all_in_scope: bool = True
    admin_action_data: dict = field(default_factory=dict)  # extra POST data (a reason …)
    # rows the model's selector shows whatever the scope (e.g. one's own requests)
    always_visible: frozenset = frozenset()
    fk_admin_add: str | None = None  # add URL of an admin whose form has an FK to model
    fk_field: str | None = None
    # API (URL names)
    api_list: str | None = None
    api_detail: str | None = None
    api_lookup: Callable[[Any], dict] = field(default=lambda row: {"pk": row.pk})
    api_key: Callable[[dict], Any] = field(default=lambda item: item["id"])
    row_key: Callable[[Any], Any] = field(default=lambda row: row.pk)
    api_action: str | None = None  # a detail POST action
    api_action_body: dict = field(default_factory=dict)
    export: str | None = None  # URL name of the export (?format=csv)
    export_key_column: str = "id"

    @property
    def model_class(self):
        return apps.get_model(self.model)

    def __str__(self) -> str:
        return self.id


# --- the test app's models ----------------------------------------------------------------


def _make_site():
    from tests.scopetest.models import Site

    return Site.objects.create(code=f"S{Site.objects.count() + 1}")


def _make_ticket(*, region, department, owner, grant_target):
    from tests.scopetest.models import Ticket

    return Ticket.objects.create(
        title=f"ticket {region.code} {owner.username}",
        region=region,
        department=department,
        owner=owner,
        site=grant_target,
        phone="13800000001",
        customer_name="张三",
    )


def _make_region_ticket(*, region, department, owner, grant_target):
    from tests.scopetest.models import RegionOnlyTicket

    return RegionOnlyTicket.objects.create(
        title=f"r-ticket {region.code}", region=region, department=department, owner=owner
    )


def _closed(row) -> bool:
    row.refresh_from_db()
    return row.is_closed


def _make_permission_request(*, region, department, owner, grant_target):
    from mall.core.actors import system_actor
    from rbac import services
    from rbac.models import Role

    role = Role.objects.filter(code="matrix-requested").first() or services.role_create(
        actor=system_actor(), code="matrix-requested", name="requested"
    )
    return services.permission_request_create(actor=owner, role=role, reason="matrix")


def _cancelled(row) -> bool:
    row.refresh_from_db()
    return row.status == "cancelled"


def _own_profile(*, region, department, owner, grant_target):
    profile = owner.staff_profile
    assert profile.department_id == department.pk
    return profile


def _the_owner(*, region, department, owner, grant_target):
    return owner


def _deactivated(row) -> bool:
    row.refresh_from_db()
    return not row.is_active


def _make_assignment(*, region, department, owner, grant_target):
    from mall.core.actors import system_actor
    from rbac import services
    from rbac.models import Role

    role = Role.objects.filter(code="matrix-held").first() or services.role_create(
        actor=system_actor(), code="matrix-held", name="held"
    )
    return services.role_assign(actor=system_actor(), user=owner, role=role)


CASES: list[ScopeCase] = [
    ScopeCase(
        id="scopetest.ticket",
        model="scopetest.Ticket",
        make_row=_make_ticket,
        make_grant_target=_make_site,
        permissions=(
            "scopetest.view_ticket",
            "scopetest.close_ticket",
            "scopetest.view_ticketnote",
            "scopetest.add_ticketnote",
        ),
        urls="tests.scopetest.urls",
        admin_changelist="admin:scopetest_ticket_changelist",
        admin_change="admin:scopetest_ticket_change",
        admin_action="close_tickets",
        was_touched=_closed,
        fk_admin_add="admin:scopetest_ticketnote_add",
        fk_field="ticket",
        api_list="scopetest-ticket-list",
        api_detail="scopetest-ticket-detail",
        api_action="scopetest-ticket-close",
        export="scopetest-ticket-export",
    ),
    ScopeCase(
        id="scopetest.region_only_ticket",
        model="scopetest.RegionOnlyTicket",
        make_row=_make_region_ticket,
        permissions=("scopetest.view_regiononlyticket", "scopetest.close_ticket"),
        urls="tests.scopetest.urls",
        admin_changelist="admin:scopetest_regiononlyticket_changelist",
        admin_change="admin:scopetest_regiononlyticket_change",
        admin_action="close_tickets",
        was_touched=_closed,
        api_list="scopetest-regionticket-list",
        api_detail="scopetest-regionticket-detail",
        api_action="scopetest-regionticket-close",
        export="scopetest-regionticket-export",
    ),
    ScopeCase(
        id="rbac.permission_request",
        model="rbac.PermissionRequest",
        make_row=_make_permission_request,
        permissions=("rbac.view_permissionrequest",),
        admin_changelist="admin:rbac_permissionrequest_changelist",
        admin_change="admin:rbac_permissionrequest_change",
        admin_action="cancel_selected",
        was_touched=_cancelled,
        action_applies_to_all_in_scope=False,  # only the requester may withdraw
        always_visible=frozenset({"A"}),  # a requester always sees their own request
        api_list="rbac-permission-request-list",
        api_detail="rbac-permission-request-detail",
        api_action="rbac-permission-request-cancel",
        export="rbac-permission-request-export",
    ),
    ScopeCase(
        id="rbac.staff_profile",
        model="rbac.StaffProfile",
        make_row=_own_profile,
        permissions=("rbac.view_staffprofile", "rbac.deactivate_staff"),
        admin_changelist="admin:rbac_staffprofile_changelist",
        admin_change="admin:rbac_staffprofile_change",
        admin_action="deactivate_selected",
        admin_action_data={"reason": "left the company"},
        was_touched=_deactivated,
        action_applies_to_all_in_scope=False,  # nobody deactivates themselves
        api_list="rbac-staff-list",
        api_detail="rbac-staff-detail",
        api_action="rbac-staff-deactivate",
        api_action_body={"reason": "left the company"},
        export="rbac-staff-export",
    ),
    ScopeCase(
        id="auth.user",
        model="auth.User",
        make_row=_the_owner,
        permissions=("auth.view_user", "rbac.assign_role"),
        admin_changelist="admin:auth_user_changelist",
        admin_change="admin:auth_user_change",
        fk_admin_add="admin:rbac_roleassignment_add",
        fk_field="user",
    ),
    ScopeCase(
        id="rbac.role_assignment",
        model="rbac.RoleAssignment",
        make_row=_make_assignment,
        permissions=("rbac.view_roleassignment",),
        admin_changelist="admin:rbac_roleassignment_changelist",
        admin_change="admin:rbac_roleassignment_change",
        api_list="rbac-assignment-list",
        api_detail="rbac-assignment-detail",
    ),
]


def all_cases() -> list[ScopeCase]:
    """``CASES`` here plus the ``CASES`` list of every ``tests/<app>/scope_cases*.py``
    (an app may keep one module per area: ``scope_cases.py``, ``scope_cases_reviews.py``)."""
    import tests

    collected = list(CASES)
    for package in pkgutil.iter_modules(tests.__path__):
        if not package.ispkg:
            continue
        imported = importlib.import_module(f"tests.{package.name}")
        for module in sorted(pkgutil.iter_modules(imported.__path__), key=lambda m: m.name):
            if module.name == "scope_cases" or module.name.startswith("scope_cases_"):
                cases = importlib.import_module(f"tests.{package.name}.{module.name}")
                collected.extend(getattr(cases, "CASES", []))
    return collected
