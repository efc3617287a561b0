"""Warehouses, coverage areas, carriers and carrier rules (master data of dispatch)."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mall.core.audit import audit, snapshot
from mall.core.money import to_money

from ..access import require_permission, require_warehouse_access
from ..exceptions import InvalidDispatchInput
from ..models import Carrier, CarrierRule, CoverageArea, Warehouse

WAREHOUSE_FIELDS = [
    "code",
    "name",
    "type",
    "region_id",
    "address",
    "contact_name",
    "contact_phone",
    "is_active",
]


CARRIER_RULE_FIELDS = [
    "carrier",
    "warehouse",
    "province",
    "first_item_fee_amount",
    "additional_item_fee_amount",
    "priority",
]


def _save(instance, creating: bool, fields: list[str]) -> None:
    """Insert a new row, or write only ``fields`` of an existing one."""
    if creating:
        instance.save(force_insert=True)
    else:
        instance.save(update_fields=fields)


def _validated(instance) -> None:
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean(validate_constraints=False, validate_unique=False)
    except ValidationError as exc:
        raise InvalidDispatchInput(fields=exc.message_dict) from exc


@transaction.atomic
def warehouse_save(*, actor, warehouse: Warehouse | None = None, **values) -> Warehouse:
    """Create a warehouse (``warehouse=None``) or change one; audited with the diff.

    Needs ``dispatch.add_warehouse`` / ``dispatch.change_warehouse``. A duplicate
    code is refused as invalid input.
    """
    creating = warehouse is None or warehouse.pk is None
    require_permission(actor, "dispatch.add_warehouse" if creating else "dispatch.change_warehouse")
    if creating:
        warehouse = warehouse or Warehouse()
        before = None
    else:
        warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
        require_warehouse_access(actor, warehouse)
        before = snapshot(warehouse, WAREHOUSE_FIELDS)
    for name, value in values.items():
        if name not in {
            "code",
            "name",
            "type",
            "region",
            "address",
            "contact_name",
            "contact_phone",
            "is_active",
        }:
            raise InvalidDispatchInput(fields={name: [_("Unknown field.")]})
        setattr(warehouse, name, value)
    _validated(warehouse)
    taken = InvalidDispatchInput(fields={"code": [_("A warehouse with this code exists.")]})
    if Warehouse.objects.filter(code=warehouse.code).exclude(pk=warehouse.pk).exists():
        raise taken
    try:
        with transaction.atomic():  # a concurrent creator may take the code after the check
            _save(warehouse, creating, [*values, "updated_at"])
    except IntegrityError as exc:
        raise taken from exc
    audit(
        actor=actor,
        action="dispatch.warehouse_create" if creating else "dispatch.warehouse_change",
        target=warehouse,
        before=before,
        after=snapshot(warehouse, WAREHOUSE_FIELDS),
    )
    return warehouse


@transaction.atomic
def coverage_area_save(
    *, actor, warehouse: Warehouse, province, tier: int, promised_days: int
) -> CoverageArea:
    """Set (create or change) the tier and promised days of a warehouse for a province."""
    require_permission(actor, "dispatch.change_warehouse")
    require_warehouse_access(actor, warehouse)
    if tier not in (1, 2, 3):
        raise InvalidDispatchInput(fields={"tier": [_("The tier is 1, 2 or 3.")]})
    if isinstance(promised_days, bool) or not isinstance(promised_days, int) or promised_days < 1:
        raise InvalidDispatchInput(fields={"promised_days": [_("Enter a whole number ≥ 1.")]})
    area = (
        CoverageArea.objects.select_for_update()
        .filter(warehouse=warehouse, province=province)
        .first()
    )
    before = snapshot(area, ["tier", "promised_days"]) if area else None
    creating = area is None
    if creating:
        area = CoverageArea(warehouse=warehouse, province=province)
    area.tier = tier
    area.promised_days = promised_days
    try:
        with transaction.atomic():  # a concurrent save may add the same pair first
            _save(area, creating, ["tier", "promised_days"])
    except IntegrityError as exc:
        raise InvalidDispatchInput(
            fields={"province": [_("This warehouse already covers this province.")]}
        ) from exc
    audit(
        actor=actor,
        action="dispatch.coverage_area_save",
        target=area,
        before=before,
        after=snapshot(area, ["tier", "promised_days"]),
        data={"warehouse": warehouse.code, "province": province.name},
    )
    return area


@transaction.atomic
def coverage_area_remove(*, actor, area: CoverageArea) -> None:
    """Stop a warehouse delivering to a province."""
    require_permission(actor, "dispatch.change_warehouse")
    require_warehouse_access(actor, area.warehouse)
    data = {"warehouse": area.warehouse.code, "province": area.province.name, "tier": area.tier}
    pk = area.pk
    area.delete()
    audit(
        actor=actor,
        action="dispatch.coverage_area_remove",
        object_type="dispatch.coveragearea",
        object_id=pk,
        data=data,
    )


@transaction.atomic
def carrier_save(*, actor, carrier: Carrier | None = None, **values) -> Carrier:
    """Create or change a carrier (code, name, tracking URL template, active)."""
    creating = carrier is None or carrier.pk is None
    require_permission(actor, "dispatch.add_carrier" if creating else "dispatch.change_carrier")
    carrier = carrier or Carrier()
    before = None if creating else snapshot(Carrier.objects.get(pk=carrier.pk))
    for name, value in values.items():
        if name not in {"code", "name", "tracking_url", "is_active"}:
            raise InvalidDispatchInput(fields={name: [_("Unknown field.")]})
        setattr(carrier, name, value)
    _validated(carrier)
    try:
        with transaction.atomic():
            _save(carrier, creating, [*values, "updated_at"])
    except IntegrityError as exc:
        raise InvalidDispatchInput(
            fields={"code": [_("A carrier with this code exists.")]}
        ) from exc
    audit(
        actor=actor,
        action="dispatch.carrier_create" if creating else "dispatch.carrier_change",
        target=carrier,
        before=before,
        after=snapshot(carrier),
    )
    return carrier


@transaction.atomic
def carrier_rule_save(
    *,
    actor,
    carrier: Carrier,
    rule: CarrierRule | None = None,
    warehouse: Warehouse | None = None,
    province=None,
    first_item_fee_amount: Decimal | str | int,
    additional_item_fee_amount: Decimal | str | int,
    priority: int = 100,
) -> CarrierRule:
    """Create or change a carrier's coverage and cost rule (empty = any)."""
    require_permission(actor, "dispatch.change_carrier")
    try:
        first = to_money(first_item_fee_amount)
        additional = to_money(additional_item_fee_amount)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise InvalidDispatchInput(fields={"fee": [_("Enter amounts like 12.00.")]}) from exc
    if first < 0 or additional < 0:
        raise InvalidDispatchInput(fields={"fee": [_("Fees cannot be negative.")]})
    creating = rule is None or rule.pk is None
    before = None if creating else snapshot(rule)
    rule = rule or CarrierRule()
    rule.carrier = carrier
    rule.warehouse = warehouse
    rule.province = province
    rule.first_item_fee_amount = first
    rule.additional_item_fee_amount = additional
    rule.priority = priority
    _save(rule, creating, [*CARRIER_RULE_FIELDS])
    audit(
        actor=actor,
        action="dispatch.carrier_rule_save",
        target=rule,
        before=before,
        after=snapshot(rule),
    )
    return rule
