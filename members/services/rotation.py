"""Key rotation of personal data (``manage.py rotate_pii_key``).

Every model that declares ``ENCRYPTED_COLUMNS`` (column → encryption context) is
rotated: members and addresses here, and the apps above that keep encrypted
snapshots (orders' recipients, modification requests, virtual goods codes) — found
through the app registry, so members imports none of them.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models import Q

from mall.core.audit import audit

from .. import crypto
from ..models import Address, Member


def _stale(model, current: str) -> Q:
    """Rows with any non-empty encrypted column not under the ``current`` key."""
    condition = Q()
    for column in model.ENCRYPTED_COLUMNS:
        condition |= ~Q(**{column: ""}) & ~Q(**{f"{column}__startswith": f"{current}:"})
    return condition


def _encrypted_models() -> list:
    """Every model with encrypted columns (``ENCRYPTED_COLUMNS``), members' first."""
    found = [m for m in apps.get_models() if getattr(m, "ENCRYPTED_COLUMNS", None)]
    return [Member, Address, *(m for m in found if m not in (Member, Address))]


def pii_rotate(*, actor, batch_size: int = 500, stdout=None) -> dict:
    """Re-encrypt every encrypted value not under the current key (every model).

    Works in batches by primary key, each batch in its own transaction with the rows
    locked, so it can run while the shop is open and resume after an interruption.
    Audited once per model (``pii.rotate``, by ``actor``: the system) with the row
    count.
    """
    current = crypto.current_key_id()
    total = 0
    for model in _encrypted_models():
        rows = 0
        last_id = 0
        while True:
            with transaction.atomic():
                batch = list(
                    model.objects.select_for_update()
                    .filter(_stale(model, current), pk__gt=last_id)
                    .order_by("pk")
                    .only("pk", *model.ENCRYPTED_COLUMNS)[:batch_size]
                )
                if not batch:
                    break
                for row in batch:
                    for column, context in model.ENCRYPTED_COLUMNS.items():
                        setattr(
                            row, column, crypto.reencrypt(getattr(row, column), context=context)
                        )
                model.objects.bulk_update(batch, list(model.ENCRYPTED_COLUMNS))
                last_id = batch[-1].pk
                rows += len(batch)
            if stdout is not None:
                stdout.write(f"{model._meta.label}: {rows} rows re-encrypted")
        if rows:
            with transaction.atomic():
                audit(
                    actor=actor,
                    action="pii.rotate",
                    object_type=model._meta.label_lower,
                    data={"rows": rows, "key_id": current},
                )
        total += rows
    return {"rows": total, "key_id": current}


def pii_rehash_lookups(*, actor, batch_size: int = 500) -> int:
    """Recompute every member's phone lookup hash (after ``PII_LOOKUP_KEY`` changed)."""
    count = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Member.objects.select_for_update()
                .filter(pk__gt=last_id)
                .order_by("pk")
                .only("pk", "phone_encrypted", "phone_hash")[:batch_size]
            )
            if not batch:
                break
            for member in batch:
                member.phone_hash = crypto.lookup_hash(member.phone) or None
            Member.objects.bulk_update(batch, ["phone_hash"])
            last_id = batch[-1].pk
            count += len(batch)
    if count:
        with transaction.atomic():
            audit(
                actor=actor,
                action="pii.rehash",
                object_type="members.member",
                data={"rows": count},
            )
    return count
