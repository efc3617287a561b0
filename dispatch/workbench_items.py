"""The dispatch centre's entries on the workbench (ops.workbench): low stock, documents waiting.

Each callable reads through the dispatch selectors with the reader as ``actor``, so a
clerk of WH-SH counts WH-SH rows only.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ops.workbench import Chart, ChartData, Tile, register

from . import selectors
from .models import PurchaseInbound, Transfer


def _sees_stock(actor) -> bool:
    return actor.has_perm("dispatch.view_stock")


def _works_documents(actor) -> bool:
    return actor.has_perm("dispatch.change_purchaseinbound") or actor.has_perm(
        "dispatch.change_transfer"
    )


def _waiting_documents(actor) -> int:
    waiting = 0
    if actor.has_perm("dispatch.change_purchaseinbound"):
        waiting += (
            selectors.purchase_inbound_list(actor=actor)
            .filter(status=PurchaseInbound.Status.IN_TRANSIT)
            .count()
        )
    if actor.has_perm("dispatch.change_transfer"):
        waiting += (
            selectors.transfer_list(actor=actor).filter(status=Transfer.Status.SHIPPED).count()
        )
    return waiting


def _waiting_link(actor) -> str:
    if actor.has_perm("dispatch.change_purchaseinbound"):
        return reverse("admin:dispatch_purchaseinbound_changelist") + "?status__exact=in_transit"
    return reverse("admin:dispatch_transfer_changelist") + "?status__exact=shipped"


def _alerts_per_warehouse(actor) -> ChartData:
    rows = selectors.low_stock_by_warehouse(actor=actor)
    return ChartData(
        labels=[name for name, _count in rows],
        series=[(_("Stock rows below safety stock"), [count for _name, count in rows])],
    )


register(
    Tile(
        key="dispatch.low_stock",
        title=_("Low-stock alerts"),
        hint=_("stock rows below their safety stock"),
        icon="inventory_2",
        count=lambda actor: selectors.low_stock_list(actor=actor).count(),
        link=lambda actor: reverse("admin:dispatch_stock_changelist") + "?alert=below_safety",
        visible=_sees_stock,
        tone=lambda actor: (
            "warning" if selectors.low_stock_list(actor=actor).exists() else "success"
        ),
        order=40,
    )
)

register(
    Tile(
        key="dispatch.documents_waiting",
        title=_("Transfers and inbounds to receive"),
        hint=_("goods on their way to your warehouses"),
        icon="move_to_inbox",
        count=_waiting_documents,
        link=_waiting_link,
        visible=_works_documents,
        order=45,
    )
)

register(
    Chart(
        key="dispatch.alerts_per_warehouse",
        title=_("Stock alerts per warehouse"),
        data=_alerts_per_warehouse,
        visible=_sees_stock,
        order=140,
    )
)
