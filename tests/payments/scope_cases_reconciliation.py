"""Reconciliation discrepancies and adjustments in the RBAC scope matrix
(tests/rbac/test_scope_matrix.py): scoped by their record's sales region. Runs and bill
lines are mall-wide (function permission only) and are not in the matrix."""

from __future__ import annotations

from tests.rbac.matrix_cases import ScopeCase


def _make_discrepancy(*, region, department, owner, grant_target):
    from tests.payments.reconciliation.queue_factories import make_discrepancy

    return make_discrepancy(region=region)


def _make_adjustment(*, region, department, owner, grant_target):
    from mall.core.actors import system_actor
    from payments.models import ReconciliationAdjustment
    from tests.payments.reconciliation.queue_factories import make_discrepancy

    item = make_discrepancy(region=region)
    return ReconciliationAdjustment.objects.create(
        discrepancy=item, region=item.region, amount="1.00", note="矩阵", proposed_by=system_actor()
    )


def _resolved(row) -> bool:
    row.refresh_from_db()
    return row.status != "open"


def _decided(row) -> bool:
    row.refresh_from_db()
    return row.status != "proposed"


CASES: list[ScopeCase] = [
    ScopeCase(
        id="payments.discrepancy",
        model="payments.Discrepancy",
        make_row=_make_discrepancy,
        permissions=("payments.view_discrepancy", "payments.resolve_discrepancy"),
        admin_changelist="admin:payments_discrepancy_changelist",
        admin_change="admin:payments_discrepancy_change",
        api_list="finance-discrepancy-list",
        api_detail="finance-discrepancy-detail",
        api_action="finance-discrepancy-resolve",
        api_action_body={"note": "矩阵处理"},
        was_touched=_resolved,
    ),
    ScopeCase(
        id="payments.adjustment",
        model="payments.ReconciliationAdjustment",
        make_row=_make_adjustment,
        permissions=(
            "payments.view_reconciliationadjustment",
            "payments.approve_adjustment",
        ),
        admin_changelist="admin:payments_reconciliationadjustment_changelist",
        admin_change="admin:payments_reconciliationadjustment_change",
        api_list="finance-adjustment-list",
        api_detail="finance-adjustment-detail",
        api_action="finance-adjustment-reject",
        api_action_body={"note": "矩阵驳回"},
        was_touched=_decided,
    ),
]
