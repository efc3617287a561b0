"""Demo grants of the payments app (DESIGN.md §7); idempotent.

No demo money rows here (the demo orders are paid through the sandbox by the orders
demo and the sandbox pay page): only the demo roles' payments permissions.

* finance (财务, scope all): every finance screen and step — transactions, refunds
  (retry), anomalies (resolve), callbacks, settlements (confirm), exports, channel
  health; not the payers' identities (``view_payment_pii``);
* ops lead (运营负责人): read only — transactions, refunds, anomalies, settlements,
  channel health;
* tech lead (技术负责人): channel health (its degraded notices) and the callback log.
"""

from __future__ import annotations

from . import permissions as perms

ROLE_PERMISSIONS = {
    "finance": [
        perms.VIEW_TRANSACTION,
        perms.EXPORT_TRANSACTION,
        perms.VIEW_REFUND,
        perms.RETRY_REFUND,
        perms.EXPORT_REFUND,
        perms.VIEW_CALLBACK,
        perms.VIEW_ANOMALY,
        perms.MANAGE_ANOMALY,
        perms.VIEW_SETTLEMENT,
        perms.CONFIRM_SETTLEMENT,
        perms.EXPORT_SETTLEMENT,
        perms.VIEW_CHANNEL_HEALTH,
    ],
    "ops_lead": [
        perms.VIEW_TRANSACTION,
        perms.VIEW_REFUND,
        perms.VIEW_ANOMALY,
        perms.VIEW_SETTLEMENT,
        perms.VIEW_CHANNEL_HEALTH,
    ],
    "tech_lead": [perms.VIEW_CHANNEL_HEALTH, perms.VIEW_CALLBACK],
}


def seed(*, stdout) -> None:
    try:
        from rbac.demo import grant_role_permissions
    except ImportError:  # pragma: no cover - rbac demo not there
        stdout.write("  payments: rbac.demo.grant_role_permissions missing; role grants skipped")
        return
    added = sum(
        grant_role_permissions(role, permissions) for role, permissions in ROLE_PERMISSIONS.items()
    )
    stdout.write(f"  payments: {added} role permission(s) granted")
