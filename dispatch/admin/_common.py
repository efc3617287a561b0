"""Shared pieces of the dispatch admin: bases, names on screen, SKU search, forms, inlines."""

from __future__ import annotations

import re

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from mall.core.admin import (
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    TabularInline,
)
from mall.core.people import person_name

from .. import selectors
from ..models import (
    Allocation,
    PurchaseInbound,
    Shipment,
    StockMovement,
    StockSnapshot,
    StockSnapshotLine,
    Transfer,
)


class DispatchAdmin(ServiceModelAdmin):
    """A dispatch screen whose form saves through a service (``save_with_service``)."""

    nav_group = "stock"


class DispatchReadOnlyAdmin(ReadOnlyModelAdmin):
    """A read-only dispatch screen; its buttons and actions call services."""

    nav_group = "stock"


# --- how things are named on screen -------------------------------------------------------

# Label colours (unfold ``@display(label=...)``) per stored value.
DOCUMENT_STATUS_COLOURS = {
    PurchaseInbound.Status.IN_TRANSIT: "warning",
    PurchaseInbound.Status.ARRIVED: "success",
    Transfer.Status.SHIPPED: "warning",
    Transfer.Status.RECEIVED: "success",
}
SHIPMENT_STATUS_COLOURS = {
    Shipment.Status.PENDING: "warning",
    Shipment.Status.SHIPPED: "info",
    Shipment.Status.DELIVERED: "success",
    Shipment.Status.CANCELLED: "danger",
}
ALLOCATION_STATUS_COLOURS = {
    Allocation.Status.ALLOCATED: "info",
    Allocation.Status.SHIPPED: "success",
    Allocation.Status.RELEASED: "danger",
}
SNAPSHOT_STATUS_COLOURS = {
    StockSnapshot.Status.PENDING: "warning",
    StockSnapshot.Status.RECONCILED: "success",
    StockSnapshot.Status.NEEDS_REVIEW: "danger",
}
SNAPSHOT_LINE_STATUS_COLOURS = {
    StockSnapshotLine.Status.PENDING: "info",
    StockSnapshotLine.Status.MATCHED: "success",
    StockSnapshotLine.Status.ADJUSTED: "info",
    StockSnapshotLine.Status.NEEDS_REVIEW: "danger",
    StockSnapshotLine.Status.ACCEPTED: "success",
    StockSnapshotLine.Status.REJECTED: "warning",
}
_Kind = StockMovement.Kind
MOVEMENT_KIND_COLOURS = {
    _Kind.PURCHASE_IN_TRANSIT: "info",
    _Kind.PURCHASE_ARRIVAL: "success",
    _Kind.TRANSFER_OUT: "warning",
    _Kind.TRANSFER_IN: "success",
    _Kind.ORDER_LOCK: "info",
    _Kind.ORDER_RELEASE: "info",
    _Kind.SHIP_OUT: "warning",
    _Kind.RETURN_IN: "success",
    _Kind.STOCKTAKE_GAIN: "success",
    _Kind.STOCKTAKE_LOSS: "danger",
    _Kind.SYNC_ADJUSTMENT: "warning",
    _Kind.PROMOTION_HOLD: "info",
    _Kind.PROMOTION_RELEASE: "info",
}


def choice_label(field: str, colours: dict, description=None):
    """A list column showing ``field``'s translated choice as a coloured label."""

    @display(description=description or _("status"), label=colours, ordering=field)
    def column(self, obj):
        return getattr(obj, field), getattr(obj, f"get_{field}_display")()

    column.__name__ = f"{field}_label"
    return column


def choice_text(field: str, description=None):
    """A read-only page field showing ``field``'s translated choice (no label markup)."""

    @display(description=description or _("status"))
    def column(self, obj):
        return getattr(obj, f"get_{field}_display")()

    column.__name__ = f"{field}_text"
    return column


def sku_text(sku, sellable: int | None = None) -> str:
    """A SKU as a person reads it: product name, spec, code (and sellable units)."""
    parts = [sku.product.title]
    if sku.spec_text:
        parts.append(sku.spec_text)
    parts.append(sku.code)
    text = " · ".join(parts)
    if sellable is not None:
        text += " " + gettext("(sellable %(n)s)") % {"n": sellable}
    return text


class NamesMixin:
    """Columns shared by the dispatch screens (names, never ids or codes)."""

    @display(description=_("product"))
    def product_name(self, obj):
        return _sku_of(obj).product.title

    @display(description=_("SKU code"))
    def sku_code(self, obj):
        return _sku_of(obj).code

    @display(description=_("specification"))
    def sku_spec(self, obj):
        return _sku_of(obj).spec_text or "—"

    @display(description=_("warehouse"), ordering="warehouse__name")
    def warehouse_name(self, obj):
        return _warehouse_of(obj).name

    @display(description=_("created by"))
    def created_by_name(self, obj):
        return person_name(obj.created_by)


def _sku_of(obj):
    if isinstance(obj, StockMovement):
        return obj.stock.sku
    return obj.sku


def _warehouse_of(obj):
    if isinstance(obj, StockMovement):
        return obj.stock.warehouse
    return obj.warehouse


# --- the SKU search of document lines ------------------------------------------------------


class SkuSearchWidget(AutocompleteSelect):
    """Django's autocomplete box, asking the dispatch SKU search instead of the catalog's."""

    def get_url(self):
        return reverse(f"{self.admin_site.name}:dispatch_stock_sku_search")

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-width"] = "100%"  # the whole cell: product names are long
        return attrs

    def optgroups(self, name, value, attrs=None):
        # A forged value (not an id) is a form error, never a crash while re-rendering.
        value = [item for item in value if str(item).isascii() and str(item).isdigit()]
        return super().optgroups(name, value, attrs)


DOCUMENT_ADD_PERMISSIONS = (
    "dispatch.add_purchaseinbound",
    "dispatch.add_transfer",
    "dispatch.add_stocktake",
    "dispatch.add_returnreceipt",
)


def sku_search_view(request):
    """``GET ?term=…&page=…`` → the select2 answer of SKUs for a document line.

    For readers who may write a warehouse document. Each SKU reads "product · spec ·
    code (sellable n)", where n counts the reader's warehouses only
    (:func:`selectors.sku_pick_list`).
    """
    if not any(request.user.has_perm(perm) for perm in DOCUMENT_ADD_PERMISSIONS):
        raise PermissionDenied
    try:
        page = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        page = 1
    per_page = 20
    found = selectors.sku_pick_list(
        actor=request.user,
        term=request.GET.get("term", ""),
        offset=(page - 1) * per_page,
        limit=per_page + 1,
    )
    results = [
        {"id": str(sku.pk), "text": sku_text(sku, sellable)} for sku, sellable in found[:per_page]
    ]
    return JsonResponse({"results": results, "pagination": {"more": len(found) > per_page}})


# --- document forms -----------------------------------------------------------------------


def parse_line_text(text: str) -> list[tuple[str, int]]:
    """Turn ``SKU-CODE quantity`` rows (space, tab or comma separated) into lines."""
    lines = []
    for number, row in enumerate((text or "").splitlines(), start=1):
        row = row.replace(",", " ").replace("，", " ").strip()
        if not row:
            continue
        parts = row.split()
        # ASCII digits only: str.isdigit() also accepts "²" or "①", which int() refuses.
        if len(parts) != 2 or not re.fullmatch(r"[0-9]{1,9}", parts[1]):
            raise forms.ValidationError(
                _("Line %(n)s: write the SKU code and a quantity, e.g. DEMO-001 5."),
                params={"n": number},
            )
        lines.append((parts[0], int(parts[1])))
    return lines


class SnapshotForm(forms.ModelForm):
    """Lines typed in, or the warehouse's CSV export (``sku,on_hand``) uploaded."""

    lines_text = forms.CharField(
        label=_("lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 40}),
        help_text=_("One line per SKU: SKU code and quantity, e.g. DEMO-FLASH-001 10"),
    )
    file = forms.FileField(
        label=_("file"),
        required=False,
        help_text=_("CSV with the columns sku,on_hand (instead of lines)"),
    )

    def clean_lines_text(self):
        return parse_line_text(self.cleaned_data.get("lines_text") or "")

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("lines_text")) == bool(cleaned.get("file")):
            raise forms.ValidationError(_("Send either lines or a file, not both or neither."))
        return cleaned


class ReadOnlyInline(TabularInline):
    """Rows shown on their parent's page, to whoever may see the parent."""

    extra = 0
    can_delete = False
    hide_title = True  # no "SKU × 3" caption above each row

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")


class DocumentLineInline(NamesMixin, ReadOnlyInline):
    """A document's lines: rows to fill in on the add form, read-only afterwards.

    The SKU box searches product name, SKU code and product code and shows the
    sellable units in the reader's warehouses.
    """

    quantity_field = "quantity"
    view_fields: tuple[str, ...] = ("product_name", "sku_code", "sku_spec", "quantity")
    extra = 2
    min_num = 1
    validate_min = True

    def has_add_permission(self, request, obj=None):
        opts = self.parent_model._meta
        return obj is None and request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

    def get_extra(self, request, obj=None, **kwargs):
        return self.extra if obj is None else 0

    def get_min_num(self, request, obj=None, **kwargs):
        return self.min_num if obj is None else 0

    def get_fields(self, request, obj=None):
        return ["sku", self.quantity_field] if obj is None else list(self.view_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else list(self.view_fields)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sku":
            from catalog.models import Sku

            kwargs["queryset"] = Sku.objects.select_related("product")
            kwargs["widget"] = SkuSearchWidget(db_field, self.admin_site)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = sku_text
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DocumentAdmin(NamesMixin, DispatchAdmin):
    """A warehouse document: written with its lines by its service, never edited afterwards.

    ``create_fields`` are the header inputs of the add form; the lines come from the
    inline rows (``DocumentLineInline``); ``view_fields`` is the read-only page.
    """

    create_fields: tuple[str, ...] = ()
    view_fields: tuple[str, ...] = ()
    # the document's own warehouse input: preselected when the reader has only one
    own_warehouse_field = "warehouse"
    list_per_page = 50

    def get_fields(self, request, obj=None):
        return list(self.create_fields) if obj is None else list(self.view_fields)

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.get_fields(request, obj)})]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else list(self.view_fields)

    def editable_in_state(self, obj) -> bool:
        return False  # written once by its service; the next steps are buttons

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == self.own_warehouse_field:
            field.queryset = field.queryset.filter(is_active=True)
            only = list(field.queryset[:2])
            if len(only) == 1:  # the clerk's only warehouse
                field.initial = only[0].pk
                field.empty_label = None
        return field

    def save_with_service(self, request, obj, form, change):
        """Nothing yet: the document is written with its lines (``save_formset``)."""
        return None

    def save_formset(self, request, form, formset, change):
        # The service writes the lines; the history message names what it wrote.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if change:
            return
        quantity = next(
            inline.quantity_field
            for inline in self.get_inline_instances(request)
            if inline.model is formset.model
        )
        lines = [
            (row.cleaned_data["sku"], row.cleaned_data[quantity])
            for row in formset.forms
            if getattr(row, "cleaned_data", None)
            and not row.cleaned_data.get("DELETE")
            and row.cleaned_data.get("sku") is not None
        ]
        saved = self.create_through_service(request, form.cleaned_data, lines)
        document = form.instance
        for field in saved._meta.concrete_fields:
            setattr(document, field.attname, getattr(saved, field.attname))
        document._state.adding = False
        document._state.db = saved._state.db
        formset.new_objects = list(saved.lines.select_related("sku"))

    def create_through_service(self, request, data, lines):  # pragma: no cover - abstract
        raise NotImplementedError

    def run_each(self, request, queryset, func, **kwargs):
        done = 0
        for document in queryset:
            if self.run_service(request, func, actor=request.user, document=document, **kwargs):
                done += 1
        if done:
            self.message_user(request, _("%(n)s document(s) done.") % {"n": done})
