"""Role × data-scope matrix of the catalog selectors (products follow their owner)."""

import pytest

from catalog import permissions as perms
from catalog import selectors
from catalog.exceptions import ProductNotFound
from mall.core.actors import system_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_product):
    from rbac import services as rbac

    actor = system_actor()
    ops = rbac.department_create(actor=actor, code="ops", name="运营部")
    east = rbac.department_create(actor=actor, code="ops-east", name="华东运营组", parent=ops)
    cs = rbac.department_create(actor=actor, code="cs", name="客服部")

    def staff(username, department, scope=None):
        user = rbac.staff_create(
            actor=actor,
            username=username,
            employee_number=username.upper(),
            department=department,
            password="mall-demo-2026",
        )
        if scope is not None:
            role = rbac.role_create(
                actor=actor,
                code=f"r-{username}",
                name=username,
                scope_kind=scope,
                permissions=perms.OPS_LEAD_PERMISSIONS,
            )
            rbac.role_assign(actor=actor, user=user, role=role)
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(pk=user.pk)

    owners = {
        "ops": staff("owner_ops", ops),
        "east": staff("owner_east", east),
        "cs": staff("owner_cs", cs),
    }
    products = {}
    for key, owner in owners.items():
        products[key] = make_product(system_actor(), owner=owner, code=f"P-{key}")
    viewers = {
        "all": staff("v_all", cs, "all"),
        "department": staff("v_dept", ops, "department"),
        "department_and_below": staff("v_below", ops, "department_and_below"),
        "self": staff("v_self", cs, "self"),
        "none": staff("v_none", ops, "none"),
    }
    products["own"] = make_product(system_actor(), owner=viewers["self"], code="P-own")
    return viewers, products


EXPECTED = {
    "all": {"P-ops", "P-east", "P-cs", "P-own"},
    "department": {"P-ops"},
    "department_and_below": {"P-ops", "P-east"},
    "self": {"P-own"},
    "none": set(),
}


@pytest.mark.parametrize("scope", sorted(EXPECTED))
def test_products_and_their_skus_follow_the_owners_scope(world, scope):
    viewers, products = world
    viewer = viewers[scope]
    products_seen = selectors.product_visible_to(actor=viewer).values_list("code", flat=True)
    assert set(products_seen) == EXPECTED[scope]
    skus_seen = selectors.sku_visible_to(actor=viewer).values_list("product__code", flat=True)
    sku_products = set(skus_seen)
    assert sku_products == EXPECTED[scope]
    for code, product in ((p.code, p) for p in products.values()):
        if code not in EXPECTED[scope]:
            with pytest.raises(ProductNotFound):
                selectors.product_get(actor=viewer, pk=product.pk)


def test_categories_are_reference_data_visible_to_every_staff_member(world, tree):
    viewers, _products = world
    for viewer in viewers.values():
        assert selectors.category_list(actor=viewer).count() == 4
