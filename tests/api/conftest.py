"""The four personas every API sweep runs as: superuser, scoped staff, member, anonymous.

Each persona is a set of request headers with a real credential (a staff API token
or a member bearer token), so requests pass the same authentication a client's do.
"""

from __future__ import annotations

import pytest

PERSONAS = ("superuser", "scoped_staff", "member", "anonymous")


def scoped_staff_permissions() -> list[str]:
    """What the demo gives its east-region ops people, across every app (demo-like)."""
    from catalog.permissions import PRODUCT_OPS_PERMISSIONS
    from dispatch.demo import OPS_PERMISSIONS as DISPATCH_OPS_PERMISSIONS
    from members.demo import ROLE_PERMISSIONS as MEMBER_ROLE_PERMISSIONS
    from ops.demo import ORDER_OPS_PERMISSIONS
    from rbac.demo import _RBAC_READ

    wanted = [
        *PRODUCT_OPS_PERMISSIONS,
        *DISPATCH_OPS_PERMISSIONS,
        *MEMBER_ROLE_PERMISSIONS["order_ops_east"],
        *ORDER_OPS_PERMISSIONS,
        *_RBAC_READ,
    ]
    return sorted({str(perm) for perm in wanted})


def make_persona_headers(name: str) -> dict[str, str]:
    """Create the persona's account and return the headers that authenticate it."""
    from django.contrib.auth import get_user_model

    from mall.core.actors import system_actor
    from mall.core.services import token_create
    from rbac import services as rbac
    from rbac.models import SalesRegion, ScopeKind

    if name == "anonymous":
        return {}
    if name == "member":
        from members.services import member_register, member_token_issue

        member = member_register(actor=None, phone="13800009999", password="x-fuzz-pass-1")
        return {"Authorization": f"Bearer {member_token_issue(actor=member, member=member)}"}
    if name == "superuser":
        user = get_user_model().objects.create_superuser("fuzz_root", "", "x-fuzz-pass-1")
        return {"Authorization": f"Token {token_create(actor=user, user=user, name='fuzz')[1]}"}
    assert name == "scoped_staff", name
    system = system_actor()
    role = rbac.role_create(
        actor=system,
        code="fuzz-east-ops",
        name="fuzz east ops",
        scope_kind=ScopeKind.REGIONS,
        regions=SalesRegion.objects.filter(code="east"),
        permissions=scoped_staff_permissions(),
    )
    user = rbac.staff_create(
        actor=system, username="fuzz_east", employee_number="F0001", password="x-fuzz-pass-1"
    )
    rbac.role_assign(actor=system, user=user, role=role)
    return {"Authorization": f"Token {token_create(actor=user, user=user, name='fuzz')[1]}"}


@pytest.fixture(params=PERSONAS)
def persona(request, db) -> tuple[str, dict[str, str]]:
    return request.param, make_persona_headers(request.param)
