"""Risk models in the RBAC scope matrix (tests/rbac/test_scope_matrix.py), and the row
factories the risk API tests share.

Cases, events and fund freezes are scoped by sales region (``declare_scope(region=
"region")``): a risk officer (scope "all") sees every row, a regional ops user only
their region's. Each matrix row belongs to the row's region: a case opened by hand
through ``case_open``, an event as the verdict observer writes it, a freeze record of an
order of that region. Marks, the blacklist and attempts are mall-wide (function
permission only) and are not in the matrix. The API entry points are filled here; the
admin ones come with the risk admin.
"""

from __future__ import annotations

import itertools

from tests.rbac.matrix_cases import ScopeCase

_numbers = itertools.count(1)


def _system():
    from mall.core.actors import system_actor

    return system_actor()


def make_order(region, *, status: str = "pending_review"):
    """A paid order of ``region`` (the orders matrix's factory), with its member."""
    from tests.orders.scope_cases import _order
    from tests.payments.scope_cases import _sales_channel

    return _order(region, _sales_channel(), status=status)[0]


def make_case(*, region=None, order=None, member=None, kind: str = "frequent_purchase", **extra):
    """An open case (opened like a rule's review verdict opens one)."""
    from risk.services.cases import case_open

    number = next(_numbers)
    case, _created = case_open(
        actor=_system(),
        kind=kind,
        point=extra.pop("point", "order.place"),
        summary=extra.pop("summary", f"矩阵案件 {number}"),
        fingerprint=extra.pop("fingerprint", f"matrix:{number}"),
        rule=extra.pop("rule", kind),
        score=extra.pop("score", 60),
        evidence=extra.pop("evidence", {"orders": [order.order_no] if order else []}),
        member=member if member is not None else getattr(order, "member", None),
        order=order,
        region=region,
    )
    return case


def make_event(*, region=None, member=None, rule: str = "frequent_purchase"):
    from risk.models import RiskEvent

    return RiskEvent.objects.create(
        point="order.place",
        decision="review",
        rule=rule,
        score=60,
        reason="矩阵",
        evidence={"count": 3},
        member=member,
        region=region,
    )


def make_freeze(*, order, by):
    """A freeze record of ``order`` (the record alone: the order is not flagged)."""
    from risk.models import FundFreeze

    return FundFreeze.objects.create(
        freeze_no=f"FZM{next(_numbers):010d}",
        order=order,
        region_id=order.region_id,
        reason="矩阵冻结",
        amount=order.paid_amount,
        frozen_by=by,
    )


# --- the matrix ---------------------------------------------------------------------


def _make_case(*, region, department, owner, grant_target):
    return make_case(region=region)


def _make_event(*, region, department, owner, grant_target):
    return make_event(region=region)


def _make_freeze(*, region, department, owner, grant_target):
    return make_freeze(order=make_order(region), by=_system())


def _dismissed(row) -> bool:
    row.refresh_from_db()
    return row.status == "dismissed"


def _released(row) -> bool:
    row.refresh_from_db()
    return row.status == "released"


CASES: list[ScopeCase] = [
    ScopeCase(
        id="risk.case",
        model="risk.RiskCase",
        make_row=_make_case,
        admin_changelist="admin:risk_riskcase_changelist",
        admin_change="admin:risk_riskcase_change",
        permissions=("risk.view_riskcase", "risk.decide_riskcase"),
        api_list="risk-case-list",
        api_detail="risk-case-detail",
        api_lookup=lambda row: {"case_no": row.case_no},
        api_key=lambda item: item["case_no"],
        row_key=lambda row: row.case_no,
        api_action="risk-case-dismiss",
        api_action_body={"reason": "矩阵误报"},
        was_touched=_dismissed,
    ),
    ScopeCase(
        id="risk.event",
        model="risk.RiskEvent",
        make_row=_make_event,
        admin_changelist="admin:risk_riskevent_changelist",
        admin_change="admin:risk_riskevent_change",
        permissions=("risk.view_riskevent",),
        api_list="risk-event-list",
        api_detail="risk-event-detail",
    ),
    ScopeCase(
        id="risk.freeze",
        model="risk.FundFreeze",
        make_row=_make_freeze,
        admin_changelist="admin:risk_fundfreeze_changelist",
        admin_change="admin:risk_fundfreeze_change",
        permissions=("risk.view_fundfreeze", "risk.release_fundfreeze"),
        api_list="risk-freeze-list",
        api_detail="risk-freeze-detail",
        api_lookup=lambda row: {"freeze_no": row.freeze_no},
        api_key=lambda item: item["freeze_no"],
        row_key=lambda row: row.freeze_no,
        api_action="risk-freeze-release",
        api_action_body={"reason": "矩阵解冻"},
        was_touched=_released,
    ),
]
