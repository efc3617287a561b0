"""The discrepancy queue: resolve, re-query, and the two-person adjustment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from mall.core.transitions import InvalidTransition
from ops.models import AuditEntry
from payments.exceptions import (
    AdjustmentNotFound,
    DiscrepancyNotFound,
    DiscrepancyStateConflict,
    InvalidPaymentInput,
    PaymentsPermissionDenied,
    SameApprover,
)
from payments.models import Discrepancy, ReconciliationAdjustment
from payments.services.discrepancies import (
    adjustment_approve,
    adjustment_propose,
    adjustment_reject,
    discrepancy_requery,
    discrepancy_resolve,
)
from tests.payments.reconciliation.queue_factories import (
    make_discrepancy,
    make_finance,
    make_refund,
    make_run,
    make_txn,
)
from tests.payments.sandbox_fake import SandboxServer

pytestmark = pytest.mark.django_db


def _audits(action: str, row) -> int:
    return AuditEntry.objects.filter(action=action, object_id=str(row.pk)).count()


@pytest.fixture
def finance():
    return make_finance("fin_a")


@pytest.fixture
def lead():
    return make_finance("fin_b")


def test_resolving_an_open_discrepancy_keeps_the_note_and_recounts_the_run(finance):
    run = make_run()
    first = make_discrepancy(run)
    make_discrepancy(run, our_amount="5.00", channel_amount="7.50")
    run.refresh_from_db()
    assert run.open_count == 2 and run.open_amount == Decimal("3.50")

    row = discrepancy_resolve(actor=finance, discrepancy=first, note="渠道已补单")

    row.refresh_from_db()
    run.refresh_from_db()
    assert row.status == Discrepancy.Status.RESOLVED
    assert row.resolution_note == "渠道已补单" and row.resolved_by == finance
    assert row.resolved_at is not None
    assert run.open_count == 1 and run.open_amount == Decimal("2.50")
    assert _audits("reconciliation.discrepancy_resolve", row) == 1


def test_the_runs_open_items_notice_is_resolved_when_its_last_item_is_decided(finance):
    from ops.models import StaffNotification
    from ops.services.notifications import staff_notify

    run = make_run()
    first = make_discrepancy(run)
    second = make_discrepancy(run, our_amount="5.00", channel_amount="7.50")
    staff_notify(
        actor=finance,
        recipients=[finance],
        kind="payments.reconciliation_open",
        title="2 open discrepancies",
        subject=run,
    )
    notice = StaffNotification.objects.get(recipient=finance)

    discrepancy_resolve(actor=finance, discrepancy=first, note="渠道已补单")
    notice.refresh_from_db()
    assert notice.resolved_at is None  # one item is still open

    discrepancy_resolve(actor=finance, discrepancy=second, note="手续费差异已确认")
    notice.refresh_from_db()
    assert notice.resolved_at is not None


def test_resolving_needs_a_note_permission_scope_and_an_open_item(finance, make_staff):
    item = make_discrepancy()
    with pytest.raises(InvalidPaymentInput):
        discrepancy_resolve(actor=finance, discrepancy=item, note="  ")
    with pytest.raises(PaymentsPermissionDenied):
        discrepancy_resolve(actor=make_staff("nobody"), discrepancy=item, note="x")
    west_only = make_finance("fin_west", regions=("north",))
    with pytest.raises(DiscrepancyNotFound):
        discrepancy_resolve(actor=west_only, discrepancy=item, note="x")
    discrepancy_resolve(actor=finance, discrepancy=item, note="done")
    with pytest.raises(DiscrepancyStateConflict):
        discrepancy_resolve(actor=finance, discrepancy=item, note="again")
    held = make_discrepancy(status="held")
    with pytest.raises(DiscrepancyStateConflict):
        discrepancy_resolve(actor=finance, discrepancy=held, note="x")


def test_an_item_without_a_record_of_ours_is_seen_only_with_scope_all(finance):
    item = make_discrepancy(kind="channel_only", no_record=True, our_amount=None)
    east = make_finance("fin_east", regions=("east",))
    with pytest.raises(DiscrepancyNotFound):
        discrepancy_resolve(actor=east, discrepancy=item, note="x")
    discrepancy_resolve(actor=finance, discrepancy=item, note="长款已退回")


def test_the_proposer_cannot_approve_or_reject_and_another_user_approves(finance, lead):
    item = make_discrepancy()
    adjustment = adjustment_propose(
        actor=finance, discrepancy=item, amount="-1.00", note="渠道少收 1 元"
    )
    assert adjustment.status == ReconciliationAdjustment.Status.PROPOSED
    assert adjustment.region_id == item.region_id and adjustment.amount == Decimal("-1.00")
    assert _audits("reconciliation.adjustment_propose", adjustment) == 1

    with pytest.raises(SameApprover):
        adjustment_approve(actor=finance, adjustment=adjustment)
    with pytest.raises(SameApprover):
        adjustment_reject(actor=finance, adjustment=adjustment, note="no")

    approved = adjustment_approve(actor=lead, adjustment=adjustment, note="同意")
    approved.refresh_from_db()
    item.refresh_from_db()
    item.reconciliation.refresh_from_db()
    assert approved.status == ReconciliationAdjustment.Status.APPROVED
    assert approved.decided_by == lead and approved.decision_note == "同意"
    assert item.status == Discrepancy.Status.ADJUSTED
    assert item.reconciliation.open_count == 0
    assert item.reconciliation.open_amount == Decimal("0.00")
    assert _audits("reconciliation.adjustment_approve", approved) == 1

    with pytest.raises(DiscrepancyStateConflict):
        adjustment_approve(actor=make_finance("fin_c"), adjustment=adjustment)


def test_the_database_refuses_an_adjustment_decided_by_its_proposer(finance):
    from django.db import IntegrityError, transaction

    item = make_discrepancy()
    adjustment = adjustment_propose(actor=finance, discrepancy=item, amount="1.00", note="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReconciliationAdjustment.objects.filter(pk=adjustment.pk).update(decided_by=finance)


def test_a_rejected_adjustment_leaves_the_discrepancy_open_for_another_proposal(finance, lead):
    item = make_discrepancy()
    first = adjustment_propose(actor=finance, discrepancy=item, amount="1.00", note="多收")
    with pytest.raises(DiscrepancyStateConflict):
        adjustment_propose(actor=lead, discrepancy=item, amount="2.00", note="again")
    with pytest.raises(DiscrepancyStateConflict):
        discrepancy_resolve(actor=lead, discrepancy=item, note="while waiting")
    with pytest.raises(InvalidPaymentInput):
        adjustment_reject(actor=lead, adjustment=first, note="")
    rejected = adjustment_reject(actor=lead, adjustment=first, note="金额不对")
    assert rejected.status == ReconciliationAdjustment.Status.REJECTED
    item.refresh_from_db()
    assert item.status == Discrepancy.Status.OPEN
    second = adjustment_propose(actor=finance, discrepancy=item, amount="1.50", note="重提")
    assert second.status == ReconciliationAdjustment.Status.PROPOSED


@pytest.mark.parametrize("amount", ["0", "abc", "1.005", "1e12", "NaN", ""])
def test_an_adjustment_amount_must_be_a_signed_sum_in_cents(finance, amount):
    item = make_discrepancy()
    with pytest.raises(InvalidPaymentInput) as raised:
        adjustment_propose(actor=finance, discrepancy=item, amount=amount, note="x")
    assert "amount" in raised.value.fields


def test_proposing_and_approving_need_their_permissions_and_scope(finance):
    item = make_discrepancy()
    viewer = make_finance("fin_view", perms=("payments.view_discrepancy",))
    with pytest.raises(PaymentsPermissionDenied):
        adjustment_propose(actor=viewer, discrepancy=item, amount="1.00", note="x")
    adjustment = adjustment_propose(actor=finance, discrepancy=item, amount="1.00", note="x")
    with pytest.raises(PaymentsPermissionDenied):
        adjustment_approve(actor=viewer, adjustment=adjustment)
    west = make_finance("fin_west2", regions=("north",))
    with pytest.raises(AdjustmentNotFound):
        adjustment_approve(actor=west, adjustment=adjustment)


def test_approving_a_sales_channel_item_posts_an_adjustment_to_its_ledger(finance, lead):
    from orders.models import ChannelLedgerEntry, SalesChannel

    channel = SalesChannel.objects.create(code="tmall_t", name="天猫测试", kind="platform")
    run = make_run(sales_channel=channel)
    item = make_discrepancy(run, sales_channel=channel)
    adjustment = adjustment_propose(actor=finance, discrepancy=item, amount="12.30", note="补记")
    adjustment_approve(actor=lead, adjustment=adjustment)
    entry = ChannelLedgerEntry.objects.get(channel=channel, reference_no=f"RECADJ-{adjustment.pk}")
    adjustment.refresh_from_db()
    channel.refresh_from_db()
    assert entry.kind == "adjustment" and entry.amount == Decimal("12.30")
    assert adjustment.ledger_reference == entry.reference_no


@pytest.fixture
def fake_server(settings):
    server = SandboxServer(django_settings.PAYMENT_SANDBOX_SECRET).start()
    settings.PAYMENT_GATEWAYS = {
        **django_settings.PAYMENT_GATEWAYS,
        "sandbox": {"secret": django_settings.PAYMENT_SANDBOX_SECRET, "server_url": server.url},
    }
    yield server
    server.stop()


def test_requery_asks_the_channel_applies_its_answer_once_and_keeps_it(finance, fake_server):
    txn = make_txn(status="unpaid", amount="9.00")
    item = make_discrepancy(kind="channel_only", txn=txn, our_amount="0.00")
    fake_server.pay(txn.transaction_no, "9.00", trade_no="SBXQ-REQ-1")

    row = discrepancy_requery(actor=finance, discrepancy=item)

    txn.refresh_from_db()
    assert txn.status == "paid" and txn.channel_trade_no == "SBXQ-REQ-1"
    assert row.query_result["status"] == "SUCCESS"
    assert row.query_result["outcome"] == "applied"
    assert row.query_result["transaction_no"] == txn.transaction_no
    assert row.last_queried_at is not None and row.status == Discrepancy.Status.OPEN
    assert _audits("reconciliation.discrepancy_requery", row) == 1
    again = discrepancy_requery(actor=finance, discrepancy=item)
    assert again.query_result["outcome"] == "duplicate"
    assert AuditEntry.objects.filter(action="payment.paid", object_id=str(txn.pk)).count() <= 1


def test_requery_of_a_refund_asks_about_the_refund(finance, fake_server):
    txn = make_txn(amount="9.00")
    refund = make_refund(txn, amount="2.00", status="succeeded")
    item = make_discrepancy(kind="refund_platform_only", refund=refund)
    # the fake server knows no refunds: the channel's error is the caller's (no 500)
    from mall.core.exceptions import ApplicationError

    try:
        row = discrepancy_requery(actor=finance, discrepancy=item)
    except ApplicationError:
        item.refresh_from_db()
        assert item.query_result == {}
    else:
        assert row.query_result["refund_no"] == refund.refund_no


def test_requery_refuses_an_item_we_have_no_record_of(finance):
    item = make_discrepancy(kind="channel_only", no_record=True)
    with pytest.raises(DiscrepancyStateConflict):
        discrepancy_requery(actor=finance, discrepancy=item)


def test_a_finished_item_cannot_move_again_through_the_table(finance):
    item = make_discrepancy()
    discrepancy_resolve(actor=finance, discrepancy=item, note="ok")
    from mall.core.transitions import transition

    item.refresh_from_db()
    with pytest.raises(InvalidTransition):
        transition(item, Discrepancy.Status.OPEN, actor=finance, action="x")
