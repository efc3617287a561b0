"""Demo departments, roles and staff (DESIGN.md §7); idempotent.

Other apps' ``demo.py`` give their permissions to these roles with
:func:`grant_role_permissions` (role codes below are a contract), and grant objects
with ``rbac.services.object_permission_grant`` (e.g. ``warehouse_sh`` on ``WH-SH``).
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from mall.core.actors import system_actor

from . import services
from .models import Department, Role, SalesRegion, ScopeKind, StaffProfile

logger = logging.getLogger(__name__)
DEMO_PASSWORD = "mall-demo-2026"  # noqa: S105 - the documented demo password

# (code, name, parent code)
DEPARTMENTS = [
    ("hq", "总部", None),
    ("ops", "运营部", "hq"),
    ("ops-east", "华东运营组", "ops"),
    ("ops-north", "华北运营组", "ops"),
    ("cs", "客服部", "hq"),
    ("finance", "财务部", "hq"),
    ("warehouse", "仓储部", "hq"),
    ("tech", "技术部", "hq"),
    ("security", "安全合规部", "hq"),
    ("risk", "风控部", "hq"),
]
DEPARTMENT_HEADS = {"ops": "ops_lead", "tech": "tech_lead"}

_RBAC_READ = [
    "rbac.view_department",
    "rbac.view_role",
    "rbac.view_staffprofile",
    "rbac.view_roleassignment",
    "rbac.view_permissionrequest",
    "rbac.view_salesregion",
    "rbac.view_province",
]

# code → (name, scope kind, regions, restricted to department, rbac permissions)
ROLES = {
    "order_ops_east": ("华东订单运营", ScopeKind.REGIONS, ["east"], "ops", []),
    "order_ops_north": ("华北订单运营", ScopeKind.REGIONS, ["north"], "ops", []),
    "customer_service": ("客服", ScopeKind.ALL, [], "cs", []),
    "finance": ("财务", ScopeKind.ALL, [], "finance", []),
    "warehouse_clerk": ("仓库管理员", ScopeKind.GRANTED_OBJECTS, [], "warehouse", []),
    "product_ops": ("商品运营", ScopeKind.DEPARTMENT_AND_BELOW, [], "ops", []),
    "ops_lead": ("运营负责人", ScopeKind.ALL, [], "ops", [*_RBAC_READ]),
    # Creates flash-sale sessions and campaigns; the ops lead approves them (issue 15).
    "marketing": ("营销运营", ScopeKind.ALL, [], "ops", []),
    # Decides risk cases, keeps marks and the blacklist, freezes funds (issue 16).
    "risk_officer": ("风控专员", ScopeKind.ALL, [], "risk", []),
    "tech_lead": (
        "技术负责人",
        ScopeKind.ALL,
        [],
        "tech",
        [
            *_RBAC_READ,
            "rbac.approve_permission_request",
            "rbac.assign_role",
            "rbac.grant_object_permission",
            "rbac.deactivate_staff",
            "rbac.view_accessreview",
            "rbac.add_accessreview",
            "rbac.sign_off_access_review",
            "auth.view_user",
            "guardian.view_userobjectpermission",
        ],
    ),
    # Reads everything that shows who did what and who may do what; changes nothing.
    "security_auditor": (
        "安全审计员",
        ScopeKind.ALL,
        [],
        "security",
        [
            *_RBAC_READ,
            "rbac.view_accessreview",
            "auth.view_user",
            "guardian.view_userobjectpermission",
        ],
    ),
}

# username → (employee number, department, roles, first name, last name, phone)
STAFF = {
    "ops_east": ("M1001", "ops-east", ["order_ops_east"], "东", "王", "13700000001"),
    "ops_north": ("M1002", "ops-north", ["order_ops_north"], "北", "李", "13700000002"),
    "cs_agent": ("M2001", "cs", ["customer_service"], "小客", "张", "13700000003"),
    "finance": ("M3001", "finance", ["finance"], "财", "赵", "13700000004"),
    # a second finance user: adjustments need a second person to approve (issue 14)
    "finance_lead": ("M3000", "finance", ["finance"], "会计", "孙", "13700000009"),
    "warehouse_sh": ("M4001", "warehouse", ["warehouse_clerk"], "仓", "陈", "13700000005"),
    "ops_lead": ("M1000", "ops", ["ops_lead"], "运营", "刘", "13700000006"),
    "tech_lead": ("M5000", "tech", ["tech_lead"], "技术", "周", "13700000007"),
    "security": ("M6000", "security", ["security_auditor"], "安", "吴", "13700000008"),
    "marketing": ("M7001", "ops", ["marketing"], "营销", "郑", "13700000010"),
    "risk_officer": ("M8001", "risk", ["risk_officer"], "风控", "冯", "13700000011"),
}


def grant_role_permissions(role_code: str, perms: list[str]) -> int:
    """Give demo role ``role_code`` the permissions ``perms`` (idempotent).

    Permissions that do not exist (yet) are skipped with a warning; returns how many
    were added. Audited through ``rbac.services.role_permissions_add``.
    """
    role = Role.objects.filter(code=role_code).first()
    if role is None:
        logger.warning("demo role %s does not exist; permissions skipped", role_code)
        return 0
    existing = []
    for perm in perms:
        app_label, _dot, codename = perm.partition(".")
        if Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists():
            existing.append(perm)
        else:
            logger.warning("permission %s does not exist; not given to %s", perm, role_code)
    held = {
        f"{app}.{code}"
        for app, code in role.group.permissions.values_list("content_type__app_label", "codename")
    }
    missing = [perm for perm in existing if perm not in held]
    if missing:
        services.role_permissions_add(actor=system_actor(), role=role, permissions=missing)
    return len(missing)


def _departments(actor) -> dict[str, Department]:
    departments = {d.code: d for d in Department.objects.all()}
    for code, name, parent in DEPARTMENTS:
        if code not in departments:
            departments[code] = services.department_create(
                actor=actor, code=code, name=name, parent=departments.get(parent)
            )
    return departments


def _roles(actor, departments) -> dict[str, Role]:
    regions = {r.code: r for r in SalesRegion.objects.all()}
    roles = {r.code: r for r in Role.objects.all()}
    for code, (name, kind, region_codes, department, permissions) in ROLES.items():
        if code not in roles:
            roles[code] = services.role_create(
                actor=actor,
                code=code,
                name=name,
                scope_kind=kind,
                regions=[regions[c] for c in region_codes],
                department=departments[department],
                permissions=permissions,
            )
        else:
            grant_role_permissions(code, permissions)
    return roles


def _staff(actor, departments, roles, stdout) -> None:
    user_model = get_user_model()
    for username, (number, department, role_codes, first, last, phone) in STAFF.items():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = services.staff_create(
                actor=actor,
                username=username,
                employee_number=number,
                department=departments[department],
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                phone=phone,
            )
            stdout.write(f"  staff {username}")
        elif not StaffProfile.objects.filter(user=user).exists():
            StaffProfile.objects.create(
                user=user, department=departments[department], employee_number=number, phone=phone
            )
        for code in role_codes:
            if not user.role_assignments.filter(role=roles[code]).exists():
                services.role_assign(actor=actor, user=user, role=roles[code])
    for code, username in DEPARTMENT_HEADS.items():
        head = user_model.objects.get(username=username)
        if departments[code].head_id != head.pk:
            services.department_update(actor=actor, department=departments[code], head=head)


def seed(*, stdout) -> None:
    actor = system_actor()
    with transaction.atomic():
        departments = _departments(actor)
        roles = _roles(actor, departments)
        _staff(actor, departments, roles, stdout)
        StaffProfile.objects.get_or_create(
            user=get_user_model().objects.get(username="admin"),
            defaults={"employee_number": "M0001", "department": departments["tech"]},
        )
