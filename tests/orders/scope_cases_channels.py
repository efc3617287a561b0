"""Sales channels in the RBAC scope matrix (tests/rbac/test_scope_matrix.py).

A channel is scoped by its operator account (``self``) and by the object grant
``orders.work_channel`` on the channel itself (``granted_objects``). The matrix gives
each row a grant target: row A is the granted channel, operated by the subject; B is
the other channel, operated by the outsider; C a new channel operated by the junior.
"""

from __future__ import annotations

import itertools

from tests.rbac.matrix_cases import ScopeCase

_numbers = itertools.count(1)


def _make_channel(**extra):
    from orders.models import SalesChannel

    number = next(_numbers)
    return SalesChannel.objects.create(
        code=f"matrix-ch-{number}", name=f"矩阵渠道 {number}", kind="tmall", **extra
    )


def _make_row(*, region, department, owner, grant_target):
    from orders.models import SalesChannel

    if grant_target is not None and grant_target.operator_id is None:
        SalesChannel.objects.filter(pk=grant_target.pk).update(operator=owner)
        grant_target.refresh_from_db()
        return grant_target
    return _make_channel(operator=owner)


def _disabled(row) -> bool:
    row.refresh_from_db()
    return row.status == "disabled"


CASES: list[ScopeCase] = [
    ScopeCase(
        id="orders.sales_channel",
        model="orders.SalesChannel",
        make_row=_make_row,
        make_grant_target=_make_channel,
        permissions=(
            "orders.view_saleschannel",
            "orders.change_saleschannel",
        ),
        admin_changelist="admin:orders_saleschannel_changelist",
        admin_change="admin:orders_saleschannel_change",
        api_list="orders-channel-list",
        api_detail="orders-channel-detail",
        api_action="orders-channel-disable",
        api_action_body={"reason": "矩阵"},
        was_touched=_disabled,
    ),
]
