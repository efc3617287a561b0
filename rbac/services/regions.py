"""Sales regions and provinces (reference data the admin edits)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot

from ..exceptions import (
    InvalidRoleConfiguration,
)
from ..models import (
    SalesRegion,
)
from ._base import (
    _check_length,
    _require,
)


@transaction.atomic
def sales_region_save(
    *, actor, region: SalesRegion | None = None, code: str, name: str, sort_order: int = 0
) -> SalesRegion:
    """Create or rename a sales region (reference data the admin can edit)."""
    _require(actor, "rbac.change_salesregion" if region else "rbac.add_salesregion")
    _check_length(SalesRegion, code=code, name=name)
    before = snapshot(region) if region else None
    if SalesRegion.objects.filter(code=code).exclude(pk=getattr(region, "pk", None)).exists():
        raise InvalidRoleConfiguration(
            _("A region with this code exists."), fields={"code": [_("Already in use.")]}
        )
    if region is None:
        region = SalesRegion.objects.create(code=code, name=name, sort_order=sort_order)
    else:
        region.code, region.name, region.sort_order = code, name, sort_order
        region.save(update_fields=["code", "name", "sort_order"])
    audit(
        actor=actor,
        action="rbac.sales_region_save",
        target=region,
        before=before,
        after=snapshot(region),
    )
    return region


@transaction.atomic
def province_move(*, actor, province, region: SalesRegion):
    """Move a province to another sales region (changes regional data scopes)."""
    _require(actor, "rbac.change_province")
    before = snapshot(province)
    province.region = region
    province.save(update_fields=["region"])
    audit(
        actor=actor,
        action="rbac.province_move",
        target=province,
        before=before,
        after=snapshot(province),
    )
    return province
