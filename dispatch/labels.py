"""Chinese labels of the codes dispatch writes (collected by ``mall.core.labels``).

Audit actions, staff notification kinds and scheduled tasks: every code a screen
shows has a label here, so the audit log, the inbox and the schedule read in Chinese.
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "dispatch.allocate": _("Stock allocated to an order"),
    "dispatch.allocation_release": _("Allocation released"),
    "dispatch.allocation_shipped": _("Allocation shipped"),
    "dispatch.shipment_cancel": _("Shipment cancelled"),
    "dispatch.shipment_ship": _("Shipment shipped"),
    "dispatch.shipments_flag_stale": _("Stale shipments flagged"),
    "dispatch.tracking_event_record": _("Tracking event recorded"),
    "dispatch.carrier_create": _("Carrier created"),
    "dispatch.carrier_change": _("Carrier changed"),
    "dispatch.carrier_rule_save": _("Carrier rule saved"),
    "dispatch.coverage_area_remove": _("Coverage area removed"),
    "dispatch.coverage_area_save": _("Coverage area saved"),
    "dispatch.warehouse_create": _("Warehouse created"),
    "dispatch.warehouse_change": _("Warehouse changed"),
    "dispatch.purchase_inbound_arrive": _("Purchase received"),
    "dispatch.purchase_inbound_create": _("Purchase inbound created"),
    "dispatch.return_receipt_record": _("Return received"),
    "dispatch.stock_safety_set": _("Safety stock set"),
    "dispatch.stocktake_record": _("Stocktake recorded"),
    "dispatch.transfer_create": _("Transfer created"),
    "dispatch.transfer_receive": _("Transfer received"),
    "dispatch.stock_snapshot_line_review": _("Stock sync line reviewed"),
    "dispatch.stock_snapshot_reconcile": _("Stock sync reconciled"),
    "dispatch.stock_snapshot_submit": _("Stock snapshot submitted"),
}

NOTIFICATION_KINDS = {
    "low_stock": _("Low stock"),
}

# Scheduled tasks by their schedule entry name, and job runs by their job_run name.
TASK_LABELS = {
    "dispatch: inventory sync reconciliation": _("Inventory sync reconciliation"),
    "dispatch: low-stock alerts": _("Low-stock alerts"),
    "dispatch: logistics staleness": _("Logistics staleness"),
    # job runs (mall.core.jobs.job_run names)
    "dispatch.stock_snapshots_reconcile": _("Inventory sync reconciliation"),
    "dispatch.low_stock_alerts_send": _("Low-stock alerts"),
    "dispatch.shipments_flag_stale": _("Logistics staleness"),
}
