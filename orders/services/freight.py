"""Freight templates and their per-region rules (master data read by ``orders.pricing``).

``freight_template_save`` creates or changes a template (making one the default
takes the flag from the previous default in the same transaction);
``freight_rule_save`` / ``freight_rule_remove`` set a template's fees for one sales
region. Each is atomic and audited on the template (``freight_template.create`` /
``freight_template.update``, with the diff).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from mall.core.actors import is_system_actor
from mall.core.audit import audit, snapshot
from mall.core.money import to_money

from ..exceptions import InvalidOrderInput, OrdersPermissionDenied
from ..models import FreightRule, FreightTemplate

ADD_FREIGHT = "orders.add_freighttemplate"
CHANGE_FREIGHT = "orders.change_freighttemplate"

TEMPLATE_FIELDS = [
    "name",
    "is_default",
    "first_weight_grams",
    "first_fee_amount",
    "extra_weight_grams",
    "extra_fee_amount",
]


def _require(actor, perm: str) -> None:
    if is_system_actor(actor):
        return
    if not getattr(actor, "is_active", False) or not actor.has_perm(perm):
        raise OrdersPermissionDenied()


def _fee(name: str, value) -> Decimal:
    try:
        amount = to_money(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidOrderInput(fields={name: [_("Enter an amount.")]}) from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1000000"):
        raise InvalidOrderInput(fields={name: [_("Enter an amount from 0 to 999999.99.")]})
    return amount


def _grams(name: str, value, *, minimum: int) -> int:
    if isinstance(value, bool):
        raise InvalidOrderInput(fields={name: [_("Enter a whole number.")]})
    try:
        grams = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidOrderInput(fields={name: [_("Enter a whole number.")]}) from exc
    if grams != value and str(grams) != str(value).strip():
        raise InvalidOrderInput(fields={name: [_("Enter a whole number.")]})
    if grams < minimum or grams > 1_000_000:
        raise InvalidOrderInput(
            fields={name: [_("Enter a whole number from %(n)d to 1000000.") % {"n": minimum}]}
        )
    return grams


@transaction.atomic
def freight_template_save(
    *, actor, template: FreightTemplate | None = None, **values
) -> FreightTemplate:
    """Create (``template=None``) or change a freight template; audited with the diff.

    ``orders.add_freighttemplate`` / ``orders.change_freighttemplate``. Names are
    unique; fees are 0 or more; weights are whole grams (the extra step above 0).
    """
    creating = template is None or template.pk is None
    _require(actor, ADD_FREIGHT if creating else CHANGE_FREIGHT)
    if creating:
        template = template or FreightTemplate()
        before = None
    else:
        template = FreightTemplate.objects.select_for_update().get(pk=template.pk)
        before = snapshot(template, TEMPLATE_FIELDS)
    for name, value in values.items():
        if name == "name":
            text = str(value or "").strip()
            if not text or len(text) > 80:
                raise InvalidOrderInput(fields={"name": [_("Enter a name of 1–80 characters.")]})
            value = text
        elif name == "is_default":
            value = bool(value)
        elif name in ("first_fee_amount", "extra_fee_amount"):
            value = _fee(name, value)
        elif name == "first_weight_grams":
            value = _grams(name, value, minimum=0)
        elif name == "extra_weight_grams":
            value = _grams(name, value, minimum=1)
        else:
            raise InvalidOrderInput(fields={name: [_("Unknown field.")]})
        setattr(template, name, value)
    if creating and not template.name:
        raise InvalidOrderInput(fields={"name": [_("Enter a name of 1–80 characters.")]})
    taken = InvalidOrderInput(fields={"name": [_("A freight template with this name exists.")]})
    if FreightTemplate.objects.filter(name=template.name).exclude(pk=template.pk).exists():
        raise taken
    if template.is_default:
        # One default at a time: the previous one gives up the flag in this transaction.
        for previous in (
            FreightTemplate.objects.select_for_update()
            .filter(is_default=True)
            .exclude(pk=template.pk)
        ):
            previous.is_default = False
            previous.save(update_fields=["is_default", "updated_at"])
            audit(
                actor=actor,
                action="freight_template.update",
                target=previous,
                before={"is_default": True},
                after={"is_default": False},
            )
    try:
        with transaction.atomic():
            if creating:
                template.save(force_insert=True)
            else:
                template.save(update_fields=[*dict.fromkeys(values), "updated_at"])
    except IntegrityError as exc:
        raise taken from exc
    audit(
        actor=actor,
        action="freight_template.create" if creating else "freight_template.update",
        target=template,
        before=before,
        after=snapshot(template, TEMPLATE_FIELDS),
    )
    return template


@transaction.atomic
def freight_rule_save(
    *, actor, template: FreightTemplate, region, first_fee_amount, extra_fee_amount
) -> FreightRule:
    """Set ``template``'s fees for one sales region (create or change the rule)."""
    _require(actor, CHANGE_FREIGHT)
    first = _fee("first_fee_amount", first_fee_amount)
    extra = _fee("extra_fee_amount", extra_fee_amount)
    rule = FreightRule.objects.select_for_update().filter(template=template, region=region).first()
    before = snapshot(rule, ["first_fee_amount", "extra_fee_amount"]) if rule else None
    creating = rule is None
    if creating:
        rule = FreightRule(template=template, region=region)
    rule.first_fee_amount = first
    rule.extra_fee_amount = extra
    try:
        with transaction.atomic():  # a concurrent save may add the same pair first
            if creating:
                rule.save(force_insert=True)
            else:
                rule.save(update_fields=["first_fee_amount", "extra_fee_amount"])
    except IntegrityError as exc:
        raise InvalidOrderInput(
            fields={"region": [_("This template already has a rule for the region.")]}
        ) from exc
    audit(
        actor=actor,
        action="freight_template.update",
        target=template,
        before={"region": region.code, **(before or {})},
        after={
            "region": region.code,
            "first_fee_amount": str(first),
            "extra_fee_amount": str(extra),
        },
    )
    return rule


@transaction.atomic
def freight_rule_remove(*, actor, rule: FreightRule) -> None:
    """Remove a template's rule for one region (the template's base fees apply again)."""
    _require(actor, CHANGE_FREIGHT)
    rule = FreightRule.objects.select_related("template", "region").get(pk=rule.pk)
    audit(
        actor=actor,
        action="freight_template.update",
        target=rule.template,
        before={
            "region": rule.region.code,
            "first_fee_amount": str(rule.first_fee_amount),
            "extra_fee_amount": str(rule.extra_fee_amount),
        },
        after={"region": rule.region.code, "removed": True},
    )
    rule.delete()
