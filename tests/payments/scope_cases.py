"""Payments models in the RBAC scope matrix (tests/rbac/test_scope_matrix.py), and the
row factories the finance tests share.

Transactions, refunds, callbacks and anomalies are scoped by the order's sales region
(``declare_scope(region="region")``); each matrix row is an order of the row's region
paid through the sandbox channel, with its refund, callback or anomaly. Settlements,
channel calls and channel health are mall-wide (function permission only) and are not
in the matrix.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from tests.rbac.matrix_cases import ScopeCase

_numbers = itertools.count(1)
_phones = itertools.count(13700000000)
PAYER = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def _system():
    from mall.core.actors import system_actor

    return system_actor()


def _sales_channel():
    from orders.models import SalesChannel

    channel, _created = SalesChannel.objects.get_or_create(
        code="own_store", defaults={"name": "自营商城", "kind": SalesChannel.Kind.OWN_STORE}
    )
    return channel


def make_member():
    from members.services import member_register

    return member_register(actor=None, phone=str(next(_phones)), password="mall-demo-2026")


def make_txn(
    *,
    region=None,
    channel: str = "sandbox",
    status: str = "paid",
    amount: str = "9.00",
    fee: str = "0.05",
    paid_at=None,
    recharge: bool = False,
    member=None,
):
    """A transaction (with its order of ``region`` unless ``recharge``), paid at ``paid_at``."""
    from django.utils import timezone

    from payments.models import PaymentTransaction

    order = None
    if not recharge:
        from rbac.models import SalesRegion
        from tests.orders.scope_cases import _order

        region = region or SalesRegion.objects.get(code="east")
        order, _line = _order(region, _sales_channel())
        member = order.member
    member = member or make_member()
    is_paid = status != "unpaid"
    txn = PaymentTransaction(
        transaction_no=f"PT{next(_numbers):014d}",
        purpose="recharge" if recharge else "order",
        order=order,
        member=member,
        region=None if recharge else region,
        channel=channel,
        status=status,
        total_amount=Decimal(amount),
        paid_amount=Decimal(amount) if is_paid else Decimal("0.00"),
        fee_amount=Decimal(fee) if is_paid else Decimal("0.00"),
        paid_at=(paid_at or timezone.now()) if is_paid else None,
    )
    txn.payer = PAYER
    txn.save(force_insert=True)
    return txn


def make_refund(txn, *, amount: str, status: str = "succeeded", fee_back: str = "0.00", at=None):
    from django.db.models import F
    from django.utils import timezone

    from payments.models import PaymentTransaction, Refund

    PaymentTransaction.objects.filter(pk=txn.pk).update(
        refunded_amount=F("refunded_amount") + Decimal(amount)
    )
    return Refund.objects.create(
        refund_no=f"RF{next(_numbers):014d}",
        transaction=txn,
        order=txn.order,
        region=txn.region,
        channel=txn.channel,
        source="after_sale",
        amount=Decimal(amount),
        fee_refund_amount=Decimal(fee_back),
        status=status,
        succeeded_at=(at or timezone.now()) if status == "succeeded" else None,
        last_error="channel said no" if status == "failed" else "",
    )


def make_anomaly(txn, *, kind: str = "amount_mismatch"):
    from payments.models import PaymentAnomaly

    return PaymentAnomaly.objects.create(
        kind=kind,
        channel=txn.channel,
        transaction=txn,
        region=txn.region,
        reference_no=txn.transaction_no,
        expected_amount=txn.total_amount,
        reported_amount=txn.total_amount + Decimal("1.00"),
        detail="矩阵",
    )


def make_callback(txn, *, outcome: str = "applied", verified: bool = True):
    from payments.models import CallbackRecord

    record = CallbackRecord(
        channel=txn.channel,
        kind="payment",
        verified=verified,
        outcome=outcome,
        error_code="" if outcome != "rejected" else "invalid_signature",
        reference_no=txn.transaction_no,
        transaction=txn,
        region=txn.region,
        headers={"X-Sandbox-Signature": "abc"},
    )
    record.body = f'{{"openid": "{PAYER}", "secret": "RAW-BODY-MARKER"}}'
    record.save(force_insert=True)
    return record


FINANCE_PERMISSIONS = (
    "payments.view_paymenttransaction",
    "payments.export_paymenttransaction",
    "payments.view_refund",
    "payments.retry_refund",
    "payments.export_refund",
    "payments.view_callbackrecord",
    "payments.view_paymentanomaly",
    "payments.manage_payment_anomaly",
    "payments.view_settlement",
    "payments.confirm_settlement",
    "payments.export_settlement",
    "payments.view_channelhealth",
)


def make_staff_with_role(username: str, *, perms=FINANCE_PERMISSIONS, regions=None):
    """A staff member whose role holds ``perms`` with scope "all" (``regions=None``) or
    the sales regions named (``("east",)``)."""
    from django.contrib.auth import get_user_model

    from rbac import services
    from rbac.models import SalesRegion

    n = next(_numbers)
    role = services.role_create(
        actor=_system(),
        code=f"fin-{n}",
        name=f"财务角色{n}",
        scope_kind="all" if regions is None else "regions",
        regions=[] if regions is None else list(SalesRegion.objects.filter(code__in=regions)),
        permissions=list(perms),
        department=None,
    )
    user = services.staff_create(
        actor=_system(),
        username=username,
        employee_number=f"F{n:05d}",
        department=None,
        password="mall-demo-2026",
    )
    services.role_assign(actor=_system(), user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


# --- the matrix ---------------------------------------------------------------------


def _make_txn(*, region, department, owner, grant_target):
    return make_txn(region=region)


def _make_refund(*, region, department, owner, grant_target):
    return make_refund(make_txn(region=region), amount="1.00", status="failed")


def _make_anomaly(*, region, department, owner, grant_target):
    return make_anomaly(make_txn(region=region))


def _make_callback(*, region, department, owner, grant_target):
    return make_callback(make_txn(region=region))


def _resolved(row) -> bool:
    row.refresh_from_db()
    return row.status == "resolved"


CASES: list[ScopeCase] = [
    ScopeCase(
        id="payments.transaction",
        model="payments.PaymentTransaction",
        make_row=_make_txn,
        permissions=(
            "payments.view_paymenttransaction",
            "payments.export_paymenttransaction",
        ),
        admin_changelist="admin:payments_paymenttransaction_changelist",
        admin_change="admin:payments_paymenttransaction_change",
        api_list="payments-transaction-list",
        api_detail="payments-transaction-detail",
        api_key=lambda item: item["transaction_no"],
        row_key=lambda row: row.transaction_no,
        export="payments-transaction-export",
        export_key_column="transaction_no",
    ),
    ScopeCase(
        id="payments.refund",
        model="payments.Refund",
        make_row=_make_refund,
        permissions=("payments.view_refund", "payments.export_refund"),
        admin_changelist="admin:payments_refund_changelist",
        admin_change="admin:payments_refund_change",
        api_list="payments-refund-list",
        api_detail="payments-refund-detail",
        api_key=lambda item: item["refund_no"],
        row_key=lambda row: row.refund_no,
        export="payments-refund-export",
        export_key_column="refund_no",
    ),
    ScopeCase(
        id="payments.anomaly",
        model="payments.PaymentAnomaly",
        make_row=_make_anomaly,
        permissions=("payments.view_paymentanomaly", "payments.manage_payment_anomaly"),
        admin_changelist="admin:payments_paymentanomaly_changelist",
        admin_change="admin:payments_paymentanomaly_change",
        api_list="payments-anomaly-list",
        api_detail="payments-anomaly-detail",
        api_action="payments-anomaly-resolve",
        api_action_body={"note": "矩阵处理"},
        was_touched=_resolved,
    ),
    ScopeCase(
        id="payments.callback",
        model="payments.CallbackRecord",
        make_row=_make_callback,
        permissions=("payments.view_callbackrecord",),
        admin_changelist="admin:payments_callbackrecord_changelist",
        admin_change="admin:payments_callbackrecord_change",
        api_list="payments-callback-list",
        api_detail="payments-callback-detail",
    ),
]
