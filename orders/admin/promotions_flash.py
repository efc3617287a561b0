"""营销 → 秒杀场次: flash-sale sessions (docs/PROMOTIONS.md, docs/FLASH_SALE.md).

* The list: name, window, status label, items, units sold of the quota, who created
  and who approved it (real names), filtered by status.
* The add page: the session's window and its items as inline rows (the SKU box
  searches on-shelf SKUs by product name or code and shows the sellable units);
  saved by ``flash_session_create`` with its items in one call. A draft's page is
  saved by ``flash_session_update``; any other state is a read-only page.
* Buttons on the change page call the flash services: submit (the creator),
  approve / reject with a reason (an approver who is not the creator), cancel with a
  reason (draft, waiting or approved sessions).
* A running session's page shows its live figures: sold, remaining and held per item.

Readers need ``orders.view_flashsession``; writing needs add / change, approving
``orders.approve_flashsession`` (the demo's ``marketing`` creates, ``ops_lead``
approves: ``orders/demo_flash.py``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.enums import ActionVariant

from mall.core.admin import (
    ServiceModelAdmin,
    TabularInline,
    person_column,
    status_display,
    workflow_action,
)
from mall.core.exceptions import ApplicationError
from mall.core.scoping import sees_every_row

from .. import permissions as perms
from ..models import ApprovalStatus, FlashSession, FlashSessionItem, Order

P = ApprovalStatus
STATUS_COLOURS = {
    P.DRAFT: "info",
    P.PENDING_APPROVAL: "warning",
    P.APPROVED: "primary",
    P.RUNNING: "success",
    P.CANCELLED: "danger",
}
# The SKU box lists this many SKUs per page.
SKU_SEARCH_PAGE = 20


def _sees_national_figures(user) -> bool:
    """Sold / quota / held are summed over every region's orders: only staff who see
    every order read them ("—" for the others, as on the results pages)."""
    return sees_every_row(user, Order)


def _own_work(session, user) -> bool:
    """The creator, the last editor or the submitter: never approves nor rejects."""
    return user.pk in (session.created_by_id, session.last_edited_by_id, session.submitted_by_id)


def _editable(session) -> bool:
    """Only a draft takes edits (the services refuse any other state)."""
    return session is None or session.status == P.DRAFT


def _when(moment) -> str:
    return date_format(localtime(moment), "Y-m-d H:i") if moment else "—"


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


# --- the SKU box of an item row -----------------------------------------------------------


class FlashSkuWidget(AutocompleteSelect):
    """Django's autocomplete box asking the session admin's own SKU search."""

    def get_url(self):
        return reverse(f"{self.admin_site.name}:orders_flashsession_sku_search")

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-width"] = "100%"  # product names are long
        return attrs

    def optgroups(self, name, value, attrs=None):
        # A forged value (not an id) is a form error, never a crash while re-rendering.
        value = [item for item in value if str(item).isascii() and str(item).isdigit()]
        return super().optgroups(name, value, attrs)


def _sku_choices():
    """SKUs a session may sell: available SKUs of on-shelf products."""
    from catalog.models import Product, Sku

    return (
        Sku.objects.select_related("product")
        .filter(is_available=True, product__status=Product.Status.ON_SHELF)
        .order_by("code")
    )


def sku_search_view(request):
    """``GET ?term=…&page=…`` → the select2 answer: on-shelf SKUs with their sellable units.

    For readers who may write sessions. Sessions are national, so the figure is the
    SKU's sellable units over every warehouse (what a session can hold at its opening).
    """
    from catalog.availability import sellable_stock

    if not (
        request.user.has_perm(perms.ADD_FLASH_SESSION)
        or request.user.has_perm(perms.CHANGE_FLASH_SESSION)
    ):
        raise PermissionDenied
    try:
        page = max(int(request.GET.get("page") or 1), 1)
    except ValueError:
        page = 1
    term = (request.GET.get("term") or "").strip()
    skus = _sku_choices()
    if term:
        skus = skus.filter(
            Q(code__icontains=term)
            | Q(product__title__icontains=term)
            | Q(product__code__iexact=term)
        )
    offset = (page - 1) * SKU_SEARCH_PAGE
    found = list(skus[offset : offset + SKU_SEARCH_PAGE + 1])
    shown = found[:SKU_SEARCH_PAGE]
    units = sellable_stock(sku.pk for sku in shown)
    results = [{"id": str(sku.pk), "text": sku_text(sku, units.get(sku.pk, 0))} for sku in shown]
    return JsonResponse({"results": results, "pagination": {"more": len(found) > SKU_SEARCH_PAGE}})


# --- the items -----------------------------------------------------------------------------


class FlashItemForm(forms.ModelForm):
    class Meta:
        model = FlashSessionItem
        fields = ["sku", "flash_price_amount", "quota", "per_member_limit"]


class FlashSessionItemInline(TabularInline):
    """A session's SKUs: rows to fill in while it is a draft, figures afterwards."""

    model = FlashSessionItem
    form = FlashItemForm
    extra = 0
    hide_title = True
    edit_fields = ("sku", "flash_price_amount", "quota", "per_member_limit")
    view_fields = (
        "product_name",
        "sku_code",
        "flash_price_amount",
        "reference_price_amount",
        "quota",
        "sold",
        "remaining_units",
        "per_member_limit",
        "held",
    )

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    national_fields = ("sold", "remaining_units", "held")

    def _view_fields(self, request) -> list[str]:
        if _sees_national_figures(request.user):
            return list(self.view_fields)
        return [name for name in self.view_fields if name not in self.national_fields]

    def get_fields(self, request, obj=None):
        return list(self.edit_fields) if _editable(obj) else self._view_fields(request)

    def get_readonly_fields(self, request, obj=None):
        return () if _editable(obj) else self._view_fields(request)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(perms.VIEW_FLASH_SESSION) or self._may_write(request, obj)

    def has_add_permission(self, request, obj=None):
        return _editable(obj) and self._may_write(request, obj)

    def has_change_permission(self, request, obj=None):
        return _editable(obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and _editable(obj) and self._may_write(request, obj)

    def _may_write(self, request, obj) -> bool:
        wanted = perms.ADD_FLASH_SESSION if obj is None else perms.CHANGE_FLASH_SESSION
        return request.user.has_perm(wanted)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sku":
            kwargs["queryset"] = _sku_choices()
            kwargs["widget"] = FlashSkuWidget(db_field, self.admin_site)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = sku_text
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @display(description=_("product"))
    def product_name(self, item):
        return item.sku.product.title

    @display(description=_("SKU code"))
    def sku_code(self, item):
        return item.sku.code

    @display(description=_("remaining"))
    def remaining_units(self, item):
        return item.remaining


def _with_item_rows(error: ApplicationError) -> ApplicationError:
    """The service's refusal with its item problems ("items.0.flash_price") in words.

    The session's own fields keep their errors on the form; each item problem reads
    "Row 1: …" in the message above it (the rows are numbered as shown).
    """
    header: dict[str, list[str]] = {}
    rows: list[str] = []
    for key, problems in (error.fields or {}).items():
        problems = problems if isinstance(problems, list | tuple) else [problems]
        parts = key.split(".")
        if parts[0] == "items" and len(parts) >= 2 and parts[1].isdigit():
            for problem in problems:
                rows.append(
                    gettext("Row %(n)s: %(problem)s") % {"n": int(parts[1]) + 1, "problem": problem}
                )
        elif parts[0] == "items":
            rows.extend(str(problem) for problem in problems)
        else:
            header[key] = [str(problem) for problem in problems]
    if not rows:
        return error
    return ApplicationError(
        " ".join(rows), code=error.code, fields=header, status_code=error.status_code
    )


# --- the session ---------------------------------------------------------------------------


class FlashSessionForm(forms.ModelForm):
    class Meta:
        model = FlashSession
        fields = ["name", "starts_at", "ends_at", "unpaid_minutes"]


@admin.register(FlashSession)
class FlashSessionAdmin(ServiceModelAdmin):
    nav_group = "marketing"
    nav_order = 10
    nav_icon = "bolt"
    form = FlashSessionForm
    inlines = [FlashSessionItemInline]
    ordering = ["-starts_at", "-id"]
    list_filter = ["status"]
    search_fields = ["name"]
    list_select_related = ["created_by", "approved_by"]
    list_display = [
        "name",
        "window",
        status_display("status", STATUS_COLOURS),
        "item_count",
        "sold_of_quota",
        "creator_name",
        "approver_name",
    ]
    edit_fields = ("name", "starts_at", "ends_at", "unpaid_minutes")
    state_fields = (
        "status_text",
        "creator_name",
        "submitted_at",
        "approver_name",
        "approved_at",
        "rejection_reason",
        "opened_at",
        "ended_at",
        "cancel_reason",
    )
    actions_detail = [
        "submit_button",
        "approve_button",
        "reject_button",
        "cancel_button",
        "stop_button",
    ]

    creator_name = person_column("created_by", _("created by"))
    approver_name = person_column("approved_by", _("approved by"))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("created_by", "approved_by")
            .annotate(
                item_total=Count("items", distinct=True),
                quota_total=Sum("items__quota"),
                sold_total=Sum("items__sold"),
            )
        )

    def get_urls(self):
        return [
            path(
                "sku-search/",
                self.admin_site.admin_view(sku_search_view),
                name="orders_flashsession_sku_search",
            ),
            *super().get_urls(),
        ]

    # --- pages ------------------------------------------------------------------------

    def editable_in_state(self, obj) -> bool:
        return _editable(obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a session is cancelled (with a reason), never deleted

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if not _sees_national_figures(request.user):
            columns = ["sold_of_quota_hidden" if c == "sold_of_quota" else c for c in columns]
        return columns

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(self.edit_fields)
        fields = [*self.edit_fields, *self.state_fields]
        if obj.status in (P.RUNNING, P.ENDED):
            national = _sees_national_figures(request.user)
            fields.append("live_figures" if national else "live_figures_hidden")
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = [*self.state_fields, "live_figures", "live_figures_hidden"]
        if not self.editable_in_state(obj):
            readonly += list(self.edit_fields)
        return readonly

    # --- columns ----------------------------------------------------------------------

    @display(description=_("window"), ordering="starts_at")
    def window(self, session):
        return format_html(
            '<span style="white-space:nowrap">{} – {}</span>',
            _when(session.starts_at),
            _when(session.ends_at),
        )

    @display(description=_("items"))
    def item_count(self, session):
        count = getattr(session, "item_total", None)
        return session.items.count() if count is None else count

    @display(description=_("sold / quota"))
    def sold_of_quota(self, session):
        sold = getattr(session, "sold_total", None)
        quota = getattr(session, "quota_total", None)
        if quota is None:
            figures = session.items.aggregate(sold=Sum("sold"), quota=Sum("quota"))
            sold, quota = figures["sold"], figures["quota"]
        return f"{sold or 0} / {quota or 0}"

    @display(description=_("sold / quota"))
    def sold_of_quota_hidden(self, session):
        return "—"

    @display(description=_("live figures"))
    def live_figures_hidden(self, session):
        return "—"

    @display(description=_("status"))
    def status_text(self, session):
        return session.get_status_display()

    @display(description=_("live figures"))
    def live_figures(self, session):
        """Sold, remaining and held per item, read from the database (the authority)."""
        if session is None or session.pk is None:
            return "—"
        items = list(session.items.select_related("sku__product").order_by("pk"))
        if not items:
            return "—"
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("SKU"),
            _("session quota"),
            _("units sold"),
            _("remaining"),
            _("units held in stock"),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><strong>{}</strong></td><td>{}</td></tr>",
            (
                (sku_text(item.sku), item.quota, item.sold, item.remaining, item.held)
                for item in items
            ),
        )
        return format_html('<table class="flash-live">{}{}</table>', header, rows)

    # --- writes through the services ---------------------------------------------------

    def save_with_service(self, request, obj, form, change):
        """Nothing yet: the session is written with its items (``save_formset``)."""
        return None

    def save_formset(self, request, form, formset, change):
        from ..promotions.flash import flash_session_create, flash_session_update

        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        items = [
            {
                "sku": row.cleaned_data["sku"],
                "flash_price": row.cleaned_data["flash_price_amount"],
                "quota": row.cleaned_data["quota"],
                "per_member_limit": row.cleaned_data["per_member_limit"],
            }
            for row in formset.forms
            if getattr(row, "cleaned_data", None)
            and not row.cleaned_data.get("DELETE")
            and row.cleaned_data.get("sku") is not None
        ]
        header = {name: form.cleaned_data[name] for name in self.edit_fields}
        session = form.instance
        try:
            if not change:
                saved = flash_session_create(actor=request.user, items=items, **header)
            else:
                saved = flash_session_update(
                    actor=request.user, session=session, items=items, **header
                )
        except ApplicationError as error:
            raise _with_item_rows(error) from error
        for field in saved._meta.concrete_fields:
            setattr(session, field.attname, getattr(saved, field.attname))
        session._state.adding = False
        session._state.db = saved._state.db
        formset.new_objects = list(saved.items.select_related("sku"))

    # --- buttons ----------------------------------------------------------------------

    @workflow_action(
        description=_("Submit for approval"),
        permission=(perms.ADD_FLASH_SESSION, perms.CHANGE_FLASH_SESSION),
        when=lambda session, user: session.status == P.DRAFT and session.created_by_id == user.pk,
        confirm=_("Send this session to an approver? It cannot be edited while it waits."),
        success=_("The session is waiting for approval."),
        icon="send",
    )
    def submit_button(self, request, session):
        from ..promotions.flash import flash_session_submit

        flash_session_submit(actor=request.user, session=session)

    @workflow_action(
        description=_("Approve"),
        permission=perms.APPROVE_FLASH_SESSION,
        when=lambda session, user: (
            session.status == P.PENDING_APPROVAL and not _own_work(session, user)
        ),
        confirm=_("Approve this session? It opens by itself when its window starts."),
        success=_("The session is approved."),
        icon="check",
    )
    def approve_button(self, request, session):
        from ..promotions.flash import flash_session_approve

        flash_session_approve(actor=request.user, session=session)

    @workflow_action(
        description=_("Reject"),
        permission=perms.APPROVE_FLASH_SESSION,
        when=lambda session, user: (
            session.status == P.PENDING_APPROVAL and not _own_work(session, user)
        ),
        reason=True,
        success=_("The session is back with its creator as a draft."),
        variant=ActionVariant.DANGER,
        icon="close",
    )
    def reject_button(self, request, session, reason):
        from ..promotions.flash import flash_session_reject

        flash_session_reject(actor=request.user, session=session, reason=reason)

    @workflow_action(
        description=_("Cancel the session"),
        permission=perms.CHANGE_FLASH_SESSION,  # what flash_session_cancel requires
        when=lambda session: session.status in (P.DRAFT, P.PENDING_APPROVAL, P.APPROVED),
        reason=True,
        success=_("The session is cancelled."),
        variant=ActionVariant.DANGER,
        icon="block",
    )
    def cancel_button(self, request, session, reason):
        from ..promotions.flash import flash_session_cancel

        flash_session_cancel(actor=request.user, session=session, reason=reason)

    @workflow_action(
        description=_("Stop now"),
        permission=perms.CHANGE_FLASH_SESSION,  # what flash_session_close requires
        when=lambda session: session.status == P.RUNNING,
        confirm=_(
            "Stop this session now? No new order gets the flash price and the units still "
            "held go back to stock. Orders already placed keep theirs."
        ),
        success=_("The session is stopped."),
        variant=ActionVariant.DANGER,
        icon="stop_circle",
    )
    def stop_button(self, request, session):
        from ..promotions.flash import flash_session_close

        flash_session_close(actor=request.user, session=session)
