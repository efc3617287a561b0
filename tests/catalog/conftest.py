"""Fixtures of the catalog tests: a category tree, an author, a reviewer, products."""

from __future__ import annotations

import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import permissions as perms
from catalog import services
from catalog.models import Category
from mall.core.actors import system_actor

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

_counter = itertools.count(1)


def png(name: str = "main.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tree(db):
    """A three-level branch: 家用电器 > 厨房电器 > 电饭煲, plus a second leaf."""
    actor = system_actor()
    root = services.category_seed(actor=actor, code="appliance", name="家用电器")
    middle = services.category_seed(actor=actor, code="kitchen", name="厨房电器", parent=root)
    leaf = services.category_seed(actor=actor, code="rice-cooker", name="电饭煲", parent=middle)
    other = services.category_seed(actor=actor, code="kettle", name="电水壶", parent=middle)
    return {"root": root, "middle": middle, "leaf": leaf, "other": other}


@pytest.fixture
def leaf(tree) -> Category:
    return tree["leaf"]


@pytest.fixture
def author(staff_with_role):
    """A product ops specialist: sees the products they own."""
    return staff_with_role("author", perms=perms.PRODUCT_OPS_PERMISSIONS, scope="self")


@pytest.fixture
def reviewer(staff_with_role):
    """The ops lead: reviews and publishes, sees every product."""
    return staff_with_role("reviewer", perms=perms.OPS_LEAD_PERMISSIONS, scope="all")


@pytest.fixture
def make_product(leaf):
    """Create a draft product with one SKU and (by default) a picture."""

    def make(actor, *, title="智能电饭煲 4L", with_image=True, price="299.00", **values):
        number = next(_counter)
        product = services.product_create(
            actor=actor,
            code=values.pop("code", f"P{number:05d}"),
            title=title,
            category=values.pop("category", leaf),
            description=values.pop("description", "一台好用的电饭煲。"),
            skus=values.pop(
                "skus",
                [{"code": f"SKU{number:05d}", "price_amount": price, "weight_grams": 3000}],
            ),
            **values,
        )
        if with_image:
            services.product_image_add(actor=actor, product=product, image=png())
        product.refresh_from_db()
        return product

    return make


@pytest.fixture
def on_shelf_product(make_product, author, reviewer):
    """A product taken through the whole review onto the shelf."""

    def make(**values):
        product = make_product(author, **values)
        services.product_submit(actor=author, product=product)
        services.product_approve(actor=reviewer, product=product)
        return services.product_on_shelf(actor=reviewer, product=product)

    return make


@pytest.fixture
def staff_with_role(db):
    """Create staff holding a role with ``perms`` and data scope ``scope`` (self / all)."""
    from django.contrib.auth import get_user_model

    from rbac import services as rbac_services

    def make(username: str, *, perms=(), scope: str = "self"):
        actor = system_actor()
        role = rbac_services.role_create(
            actor=actor,
            code=f"role-{username}",
            name=f"role {username}",
            scope_kind=scope,
            permissions=list(perms),
        )
        user = get_user_model().objects.create_user(
            username=username, password="mall-demo-2026", is_staff=True
        )
        rbac_services.role_assign(actor=actor, user=user, role=role)
        return get_user_model().objects.get(pk=user.pk)

    return make


@pytest.fixture
def stock_provider():
    """Swap the sellable-stock provider for a test (``None`` = the SKU's own flag)."""
    from catalog import availability

    original = availability.sellable_stock_provider()

    def use(provider):
        availability.register_sellable_stock_provider(provider)

    yield use
    availability.register_sellable_stock_provider(original)
