"""Warehouse documents: purchase inbounds, transfers, stocktakes, returns, stock snapshots."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget

from mall.core.admin import (
    workflow_action,
)

from .. import selectors, services
from ..inputs import snapshot_lines_from_file
from ..models import (
    PurchaseInbound,
    PurchaseInboundLine,
    ReturnReceipt,
    ReturnReceiptLine,
    StockSnapshot,
    StockSnapshotLine,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)
from ._common import (
    DOCUMENT_STATUS_COLOURS,
    SNAPSHOT_LINE_STATUS_COLOURS,
    SNAPSHOT_STATUS_COLOURS,
    DispatchAdmin,
    DispatchReadOnlyAdmin,
    DocumentAdmin,
    DocumentLineInline,
    NamesMixin,
    ReadOnlyInline,
    SnapshotForm,
    choice_label,
    choice_text,
)

# --- warehouse documents ----------------------------------------------------------------


class PurchaseInboundLineInline(DocumentLineInline):
    model = PurchaseInboundLine


@admin.register(PurchaseInbound)
class PurchaseInboundAdmin(DocumentAdmin):
    list_selector = selectors.purchase_inbound_list
    nav_order = 50
    nav_icon = "move_to_inbox"
    list_display = [
        "document_no",
        "warehouse_name",
        "supplier_name",
        "status_label",
        "created_by_name",
        "created_at",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = ["document_no", "supplier_name"]
    search_help_text = _("Search by document number or supplier.")
    create_fields = ("warehouse", "supplier_name", "note")
    view_fields = (
        "document_no",
        "warehouse_name",
        "supplier_name",
        "status_text",
        "created_by_name",
        "created_at",
        "arrived_at",
        "note",
    )
    inlines = [PurchaseInboundLineInline]
    actions = ["arrive_selected"]
    actions_detail = ["arrive_button"]

    status_label = choice_label("status", DOCUMENT_STATUS_COLOURS)
    status_text = choice_text("status")

    def has_arrive_permission(self, request):
        return request.user.has_perm("dispatch.change_purchaseinbound")

    def create_through_service(self, request, data, lines):
        return services.purchase_inbound_create(
            actor=request.user,
            warehouse=data["warehouse"],
            lines=lines,
            supplier_name=data.get("supplier_name") or "",
            note=data.get("note") or "",
        )

    @workflow_action(
        description=_("Book arrival"),
        permission="dispatch.change_purchaseinbound",
        when=lambda document: document.status == PurchaseInbound.Status.IN_TRANSIT,
        confirm=_("The goods are in the warehouse: their units move from in transit to on hand."),
    )
    def arrive_button(self, request, document):
        services.purchase_inbound_arrive(actor=request.user, document=document)

    @admin.action(description=_("Book arrival"), permissions=["arrive"])
    def arrive_selected(self, request, queryset):
        self.run_each(request, queryset, services.purchase_inbound_arrive)


class TransferLineInline(DocumentLineInline):
    model = TransferLine


@admin.register(Transfer)
class TransferAdmin(DocumentAdmin):
    list_selector = selectors.transfer_list
    nav_order = 55
    nav_icon = "sync_alt"
    list_display = [
        "document_no",
        "from_warehouse_name",
        "to_warehouse_name",
        "status_label",
        "created_by_name",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["document_no"]
    search_help_text = _("Search by document number.")
    create_fields = ("from_warehouse", "to_warehouse", "note")
    view_fields = (
        "document_no",
        "from_warehouse_name",
        "to_warehouse_name",
        "status_text",
        "created_by_name",
        "created_at",
        "received_at",
        "note",
    )
    own_warehouse_field = "from_warehouse"
    inlines = [TransferLineInline]
    actions = ["receive_selected"]
    actions_detail = ["receive_button"]

    status_label = choice_label("status", DOCUMENT_STATUS_COLOURS)
    status_text = choice_text("status")

    @display(description=_("from warehouse"))
    def from_warehouse_name(self, obj):
        return obj.from_warehouse.name

    @display(description=_("to warehouse"))
    def to_warehouse_name(self, obj):
        return obj.to_warehouse.name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "to_warehouse":  # the destination may be any active warehouse
            kwargs["queryset"] = selectors.transfer_destination_list(actor=request.user)
            kwargs.setdefault("widget", UnfoldAdminSelectWidget())
            return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_receive_permission(self, request):
        return request.user.has_perm("dispatch.change_transfer")

    def create_through_service(self, request, data, lines):
        return services.transfer_create(
            actor=request.user,
            from_warehouse=data["from_warehouse"],
            to_warehouse=data["to_warehouse"],
            lines=lines,
            note=data.get("note") or "",
        )

    def response_add(self, request, obj, post_url_continue=None):
        # The sender may not see the transfer (it belongs to the destination's scope).
        self.message_user(request, _("Transfer %(no)s shipped out.") % {"no": obj.document_no})
        return HttpResponseRedirect("../")

    @workflow_action(
        description=_("Receive at the destination"),
        permission="dispatch.change_transfer",
        when=lambda document: document.status == Transfer.Status.SHIPPED,
        confirm=_("The goods arrived: their units move from in transit to on hand."),
    )
    def receive_button(self, request, document):
        services.transfer_receive(actor=request.user, document=document)

    @admin.action(description=_("Receive at the destination"), permissions=["receive"])
    def receive_selected(self, request, queryset):
        self.run_each(request, queryset, services.transfer_receive)


class StocktakeLineInline(DocumentLineInline):
    model = StocktakeLine
    quantity_field = "counted"
    view_fields = ("product_name", "sku_code", "sku_spec", "book_quantity", "counted", "difference")


@admin.register(Stocktake)
class StocktakeAdmin(DocumentAdmin):
    list_selector = selectors.stocktake_list
    nav_order = 60
    nav_icon = "fact_check"
    list_display = ["document_no", "warehouse_name", "created_by_name", "created_at"]
    list_filter = ["warehouse"]
    search_fields = ["document_no"]
    search_help_text = _("Search by document number.")
    create_fields = ("warehouse", "note")
    view_fields = ("document_no", "warehouse_name", "created_by_name", "created_at", "note")
    inlines = [StocktakeLineInline]

    def create_through_service(self, request, data, lines):
        return services.stocktake_record(
            actor=request.user,
            warehouse=data["warehouse"],
            counts=lines,
            note=data.get("note") or "",
        )


class ReturnReceiptLineInline(DocumentLineInline):
    model = ReturnReceiptLine


@admin.register(ReturnReceipt)
class ReturnReceiptAdmin(DocumentAdmin):
    list_selector = selectors.return_receipt_list
    nav_order = 65
    nav_icon = "assignment_return"
    list_display = ["document_no", "warehouse_name", "order_no", "created_by_name", "created_at"]
    list_filter = ["warehouse"]
    search_fields = ["document_no", "order_no"]
    search_help_text = _("Search by document or order number.")
    create_fields = ("warehouse", "order_no", "note")
    view_fields = (
        "document_no",
        "warehouse_name",
        "order_no",
        "created_by_name",
        "created_at",
        "note",
    )
    inlines = [ReturnReceiptLineInline]

    def create_through_service(self, request, data, lines):
        return services.return_receipt_record(
            actor=request.user,
            warehouse=data["warehouse"],
            order_no=data["order_no"],
            lines=lines,
            note=data.get("note") or "",
        )


class StockSnapshotLineInline(NamesMixin, ReadOnlyInline):
    model = StockSnapshotLine
    fields = [
        "product_name",
        "sku_code",
        "reported_on_hand",
        "book_on_hand",
        "difference",
        "status_text",
    ]
    readonly_fields = fields

    @display(description=_("status"))
    def status_text(self, obj):
        return obj.get_status_display()


@admin.register(StockSnapshot)
class StockSnapshotAdmin(NamesMixin, DispatchAdmin):
    list_selector = selectors.stock_snapshot_list
    nav_order = 70
    nav_icon = "inventory"
    list_display = ["document_no", "warehouse_name", "taken_at", "source_text", "status_label"]
    list_filter = ["status", "warehouse", "source"]
    search_fields = ["document_no"]
    search_help_text = _("Search by document number.")
    create_fields = ("warehouse", "taken_at", "note", "lines_text", "file")
    view_fields = (
        "document_no",
        "warehouse_name",
        "taken_at",
        "source_text",
        "status_text",
        "created_by_name",
        "reconciled_at",
        "note",
    )
    form = SnapshotForm
    inlines = [StockSnapshotLineInline]
    actions = ["reconcile_selected"]
    actions_detail = ["reconcile_button"]

    status_label = choice_label("status", SNAPSHOT_STATUS_COLOURS)
    SOURCES = {"api": _("warehouse system"), "file": _("uploaded file"), "admin": _("typed in")}

    @display(description=_("source"))
    def source_text(self, obj):
        return self.SOURCES.get(obj.source, obj.source)

    status_text = choice_text("status")

    def get_fields(self, request, obj=None):
        return list(self.create_fields) if obj is None else list(self.view_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else list(self.view_fields)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def editable_in_state(self, obj) -> bool:
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reconcile_permission(self, request):
        return request.user.has_perm("dispatch.change_stocksnapshot")

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        if data.get("file"):
            lines, source = snapshot_lines_from_file(data["file"]), "file"
        else:
            lines, source = data["lines_text"], "admin"
        return services.stock_snapshot_submit(
            actor=request.user,
            warehouse=data["warehouse"],
            taken_at=data.get("taken_at"),
            lines=lines,
            source=source,
            note=data.get("note") or "",
        )

    @workflow_action(
        description=_("Reconcile now"),
        permission="dispatch.change_stocksnapshot",
        when=lambda document: document.status == StockSnapshot.Status.PENDING,
    )
    def reconcile_button(self, request, document):
        services.stock_snapshot_reconcile(actor=request.user, snapshot_doc=document)

    @admin.action(description=_("Reconcile now"), permissions=["reconcile"])
    def reconcile_selected(self, request, queryset):
        for document in queryset:
            self.run_service(
                request,
                services.stock_snapshot_reconcile,
                actor=request.user,
                snapshot_doc=document,
            )


def _waiting_for_review(line) -> bool:
    return line.status == StockSnapshotLine.Status.NEEDS_REVIEW


@admin.register(StockSnapshotLine)
class StockSnapshotLineAdmin(NamesMixin, DispatchReadOnlyAdmin):
    """The review queue: reported figures too far from the ledger."""

    list_selector = selectors.stock_snapshot_line_list
    nav_order = 75
    nav_icon = "rate_review"
    list_display = [
        "document",
        "product_name",
        "sku_code",
        "reported_on_hand",
        "book_on_hand",
        "difference",
        "status_label",
    ]
    list_filter = ["status"]
    search_fields = ["sku__code", "document__document_no"]
    search_help_text = _("Search by SKU code or document number.")
    fields = [
        "document",
        "product_name",
        "sku_code",
        "sku_spec",
        "reported_on_hand",
        "book_on_hand",
        "difference",
        "status_text",
    ]
    readonly_fields = fields
    actions = ["accept_selected", "reject_selected"]
    actions_detail = ["accept_button", "reject_button"]

    status_label = choice_label("status", SNAPSHOT_LINE_STATUS_COLOURS)
    status_text = choice_text("status")

    def has_review_permission(self, request):
        return request.user.has_perm("dispatch.change_stocksnapshot")

    def _review(self, request, queryset, accept: bool):
        for line in queryset:
            self.run_service(
                request,
                services.stock_snapshot_line_review,
                actor=request.user,
                line=line,
                accept=accept,
            )

    @workflow_action(
        description=_("Accept: book the difference"),
        permission="dispatch.change_stocksnapshot",
        when=_waiting_for_review,
    )
    def accept_button(self, request, line):
        services.stock_snapshot_line_review(actor=request.user, line=line, accept=True)

    @workflow_action(
        description=_("Reject: keep the ledger figure"),
        permission="dispatch.change_stocksnapshot",
        when=_waiting_for_review,
    )
    def reject_button(self, request, line):
        services.stock_snapshot_line_review(actor=request.user, line=line, accept=False)

    @admin.action(description=_("Accept: book the difference"), permissions=["review"])
    def accept_selected(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description=_("Reject: keep the ledger figure"), permissions=["review"])
    def reject_selected(self, request, queryset):
        self._review(request, queryset, False)
