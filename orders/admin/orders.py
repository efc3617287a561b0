"""The order admin (订单): the list ops staff live in, and each order's page.

* **List**: the reader's orders (``selectors.order_list`` — data scope by the delivery
  region, channel operators by their channel grant), newest first, with the tabs of
  seed 003 (全部 / 待付款 / 待审核 / 待发货 / 已发货 / 待售后 / 已冻结 …) as links to the
  ``tab`` filter; filters status, region, channel, source (platform / channel orders),
  frozen, held at review, virtual goods and placed-at dates; an exact search by order
  number (indexed). A big table: ``estimated_count`` (no ``COUNT(*)``), no date
  hierarchy, ordered by ``-id``.
* **Page**: read-only (orders change only by buttons); lines, shipments, the price
  breakdown, SLA clocks, the after-sales cases and the timeline (oldest first, actors
  by name, statuses by label). The recipient is masked unless the reader holds
  ``orders.view_order_pii`` (the reveal is audited: ``PiiAdminMixin``).
* **Buttons** call the same services as the staff API (``orders.services.review``,
  ``shipping``, ``cancellation``); **batch actions** approve, ship and export.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import DateFieldListFilter, SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from mall.core.admin import (
    PiiAdminMixin,
    ServiceModelAdmin,
    TabularInline,
    status_display,
    workflow_action,
)
from mall.core.exceptions import ApplicationError
from mall.core.labels import action_label
from mall.core.people import person_name
from members.member_360 import member_label

from .. import selectors
from ..models import AfterSale, Order, OrderEvent, OrderLine, SalesChannel, VirtualCode
from ..permissions import (
    CANCEL_ORDER,
    EXPORT_ORDER,
    FREEZE_ORDER,
    REVIEW_ORDER,
    SHIP_ORDER,
    VIEW_ORDER_PII,
    WAREHOUSE_APPROVE_ORDER,
)

S = Order.Status

ORDER_STATUS_COLOURS = {
    S.PENDING_PAYMENT: "warning",
    S.DEPOSIT_PAID: "info",  # presale: the rest is due in its window
    S.PAID: "info",
    S.PENDING_REVIEW: "warning",
    S.APPROVED: "info",
    S.ALLOCATED: "primary",
    S.SHIPPED: "primary",
    S.DELIVERED: "info",
    S.COMPLETED: "success",
    S.CLOSED: "danger",
}

OPEN_AFTER_SALE_STATUSES = (
    AfterSale.Status.REQUESTED,
    AfterSale.Status.APPROVED,
    AfterSale.Status.RETURNING,
    AfterSale.Status.RECEIVED,
    AfterSale.Status.REFUNDING,
    AfterSale.Status.RESHIPPING,
    AfterSale.Status.DISPUTED,
)
PLATFORM_KINDS = (SalesChannel.Kind.OWN_STORE, SalesChannel.Kind.MINI_PROGRAM)


def _codes_exist(status: str):
    return Exists(VirtualCode.objects.filter(order=OuterRef("pk"), status=status))


# tab value → (title, the orders it shows); "" is 全部 (no filter).
ORDER_TABS = {
    "pending_payment": (_("To pay"), lambda qs: qs.filter(status=S.PENDING_PAYMENT)),
    "pending_review": (_("To review"), lambda qs: qs.filter(status=S.PENDING_REVIEW)),
    "review_held": (_("Held at review"), lambda qs: qs.filter(is_review_held=True)),
    "to_ship": (_("To ship"), lambda qs: qs.filter(status__in=[S.APPROVED, S.ALLOCATED])),
    "shipped": (
        pgettext_lazy("order tab", "Shipped"),
        lambda qs: qs.filter(status__in=[S.SHIPPED, S.DELIVERED]),
    ),
    "after_sale": (
        _("After-sales open"),
        lambda qs: qs.filter(
            Exists(
                AfterSale.objects.filter(order=OuterRef("pk"), status__in=OPEN_AFTER_SALE_STATUSES)
            )
        ),
    ),
    "frozen": (_("Frozen"), lambda qs: qs.filter(is_frozen=True)),
    "to_redeem": (
        VirtualCode.Status.ISSUED.label,
        lambda qs: qs.filter(_codes_exist(VirtualCode.Status.ISSUED)),
    ),
    "redeemed": (
        VirtualCode.Status.REDEEMED.label,
        lambda qs: qs.filter(_codes_exist(VirtualCode.Status.REDEEMED)),
    ),
    "to_write_off": (
        VirtualCode.Status.PENDING_WRITE_OFF.label,
        lambda qs: qs.filter(_codes_exist(VirtualCode.Status.PENDING_WRITE_OFF)),
    ),
    "written_off": (
        VirtualCode.Status.WRITTEN_OFF.label,
        lambda qs: qs.filter(_codes_exist(VirtualCode.Status.WRITTEN_OFF)),
    ),
}


class OrderTabFilter(SimpleListFilter):
    """The seed-003 tabs as one filter (``?tab=pending_review``); the tab bar links here."""

    title = _("order tab")
    parameter_name = "tab"

    def lookups(self, request, model_admin):
        return [(key, title) for key, (title, _rows) in ORDER_TABS.items()]

    def queryset(self, request, queryset):
        entry = ORDER_TABS.get(self.value() or "")
        return entry[1](queryset) if entry else queryset


class OrderSourceFilter(SimpleListFilter):
    """平台订单 (own store, mini-program) / 渠道订单 (Tmall, JD, … shops)."""

    title = _("order source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [("platform", _("platform orders")), ("channel", _("channel orders"))]

    def queryset(self, request, queryset):
        if self.value() == "platform":
            return queryset.filter(channel__kind__in=PLATFORM_KINDS)
        if self.value() == "channel":
            return queryset.exclude(channel__kind__in=PLATFORM_KINDS)
        return queryset


class OrderChannelFilter(SimpleListFilter):
    """Orders by sales channel, offering every channel by name.

    Not the relation filter: that lists only the channels the reader may manage
    (operator or object grant), so regional ops would get no choices at all. Channel
    names are public (the storefront shows them); balances and settings stay behind
    the channel screens' own scope.
    """

    title = _("sales channel")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return list(SalesChannel.objects.order_by("code").values_list("pk", "name"))

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit() or len(str(value)) > 18:
            return queryset.none()
        return queryset.filter(channel_id=int(value))


class OrderMemberFilter(SimpleListFilter):
    """``?member=<id>``: one member's orders (the link of the member 360° page).

    It offers no choices of its own (the members table is big): it shows only while
    it is applied, as "member #id"; an id that is not a number matches nothing.
    """

    title = _("member")
    parameter_name = "member"

    def lookups(self, request, model_admin):
        value = self.value()
        if value is None:
            return []
        return [(value, _("member #%(id)s") % {"id": str(value)[:18]})]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not str(value).isdigit() or len(str(value)) > 18:
            return queryset.none()
        return queryset.filter(member_id=int(value))


def _when(value) -> str:
    if not value:
        return "—"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _status_label(code: str) -> str:
    if not code:
        return "—"
    try:
        return str(S(code).label)
    except ValueError:
        return code


# --- inlines --------------------------------------------------------------------------


class _ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    hide_title = True
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order")


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    verbose_name_plural = _("order lines")
    fields = [
        "product_title",
        "sku_code",
        "spec_text",
        "unit_price_amount",
        "quantity",
        "line_amount",
        "discount_total",
        "payable_amount",
        "refunded_quantity",
    ]
    readonly_fields = fields

    @display(description=_("specification"))
    def spec_text(self, obj):
        spec = obj.spec or {}
        return " / ".join(f"{key}: {value}" for key, value in spec.items()) or "—"

    @display(description=_("discounts"))
    def discount_total(self, obj):
        return (
            obj.level_discount_amount
            + obj.promotion_discount_amount
            + obj.coupon_discount_amount
            + obj.points_deduction_amount
        )

    def get_queryset(self, request):
        return selectors.order_line_list(actor=request.user).order_by("id")


class OrderEventInline(_ReadOnlyInline):
    """The order's timeline, oldest first: who did what, from which status to which."""

    model = OrderEvent
    verbose_name_plural = _("order timeline")
    fields = ["at", "event_label", "from_label", "to_label", "actor_name", "reason"]
    readonly_fields = fields
    ordering = ["id"]

    @display(description=_("event"))
    def event_label(self, obj):
        return event_label(obj.type)

    @display(description=_("from status"))
    def from_label(self, obj):
        return _status_label(obj.from_status)

    @display(description=_("to status"))
    def to_label(self, obj):
        return _status_label(obj.to_status)

    @display(description=_("actor"))
    def actor_name(self, obj):
        return event_actor_name(obj)

    def get_queryset(self, request):
        return _scoped_events(request.user).order_by("id")


def _scoped_events(actor):
    from mall.core.scoping import scope_queryset

    return scope_queryset(actor, OrderEvent.objects.select_related("actor_user", "order__member"))


# Timeline steps that are not audit actions of their own (no ACTION_LABELS entry).
EVENT_LABELS = {
    "waybill": _("Waybill recorded"),
    "waybill_voided": _("Waybill voided"),
    "shipment_delivered": _("Parcel delivered"),
    "shipment_recalled": _("Shipment recalled from the warehouse"),
}


def event_label(event_type: str) -> str:
    """A timeline step for people: its audit action's label, else its own, never the code."""
    if event_type in EVENT_LABELS:
        return str(EVENT_LABELS[event_type])
    code = f"order.{event_type}"
    label = action_label(code)
    return str(_("Order updated")) if label == code else label


def event_actor_name(event) -> str:
    """A timeline actor for people: a staff member's name, 会员 + masked label, 系统."""
    if event.actor_kind == OrderEvent.ActorKind.STAFF and event.actor_user_id:
        return person_name(event.actor_user)
    if event.actor_kind == OrderEvent.ActorKind.MEMBER:
        return f"{OrderEvent.ActorKind.MEMBER.label} {member_label(event.order.member)}"
    return str(OrderEvent.ActorKind.SYSTEM.label)


class AfterSaleInline(_ReadOnlyInline):
    model = AfterSale
    verbose_name_plural = _("after-sales cases")
    fields = ["case_link", "kind", "status_text", "reason", "requested_amount", "created_at"]
    readonly_fields = fields
    ordering = ["-id"]

    @display(description=_("after-sales number"))
    def case_link(self, obj):
        try:
            url = reverse("admin:orders_aftersale_change", args=[obj.pk])
        except NoReverseMatch:  # the after-sales screen is not registered
            return obj.case_no
        return format_html('<a href="{}">{}</a>', url, obj.case_no)

    @display(description=_("status"))
    def status_text(self, obj):
        return obj.get_status_display()

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_aftersale")

    def get_queryset(self, request):
        return selectors.after_sale_list(actor=request.user)


# --- dialogs --------------------------------------------------------------------------


class ShipForm(BaseDialogForm):
    """Waybill numbers (one per shipment waiting, in the order shown) and a carrier."""

    waybill_nos = forms.CharField(
        label=_("waybill numbers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One waybill number per line, one for each shipment waiting to ship."),
    )
    carrier = forms.ModelChoiceField(
        label=_("carrier"),
        queryset=None,
        required=False,
        help_text=_("Leave empty to keep the carrier chosen at dispatch."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from dispatch.models import Carrier

        self.fields["carrier"].queryset = Carrier.objects.filter(is_active=True).order_by("name")

    def clean_waybill_nos(self) -> list[str]:
        numbers = [line.strip() for line in self.cleaned_data["waybill_nos"].splitlines()]
        numbers = [number for number in numbers if number]
        if not numbers:
            raise forms.ValidationError(_("Enter the waybill number."))
        if any(len(number) > 64 for number in numbers):
            raise forms.ValidationError(_("A waybill number has at most 64 characters."))
        return numbers


# --- the order admin ------------------------------------------------------------------


def _pending_shipments(order) -> list:
    """The shipments of ``order``'s live allocation still waiting to ship, oldest first."""
    from dispatch.models import Allocation, Shipment

    return list(
        Shipment.objects.filter(allocation__order_no=order.order_no, status=Shipment.Status.PENDING)
        .exclude(allocation__status=Allocation.Status.RELEASED)
        .select_related("warehouse", "carrier")
        .order_by("pk")
    )


# Read-only on the page of a presale order (the "Presale" section).
PRESALE_FIELDS = [
    "deposit_amount",
    "deposit_payment_no",
    "deposit_paid_at",
    "final_payment_starts_at",
    "final_payment_ends_at",
    "presale_ship_date",
]


@admin.register(Order)
class OrderAdmin(PiiAdminMixin, ServiceModelAdmin):
    list_selector = selectors.order_list
    estimated_count = True
    nav_group = "orders"
    nav_order = 10
    nav_icon = "receipt_long"
    list_per_page = 50
    ordering = ["-id"]
    search_fields = ["=order_no"]
    search_help_text = _("Search by the exact order number.")
    list_filter = [
        OrderTabFilter,
        "status",
        "region",
        OrderChannelFilter,
        OrderSourceFilter,
        "is_frozen",
        "is_review_held",
        "is_virtual",
        ("created_at", DateFieldListFilter),
        OrderMemberFilter,
    ]
    list_display = [
        "order_no",
        "member_name",
        "channel",
        "region",
        status_display("status", ORDER_STATUS_COLOURS),
        "flags",
        "total_amount",
        "paid_amount",
        "created_at",
    ]
    list_select_related = ["channel", "region", "member"]
    list_before_template = "admin/orders/order/tabs.html"
    pii_fields = {"recipient": "name", "phone": "phone", "detail": "address"}
    pii_labels = {
        "recipient": pgettext_lazy("order recipient", "recipient"),
        "phone": pgettext_lazy("order recipient", "phone"),
        "detail": _("street address"),
    }
    pii_permission = VIEW_ORDER_PII
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order_no",
                    "member_name",
                    "channel",
                    "region",
                    "province",
                    "status",
                    "flags",
                    "is_virtual",
                    "frozen_reason",
                    "review_hold_reason",
                    "buyer_note",
                    "promised_delivery_date",
                ]
            },
        ),
        (
            _("Recipient"),
            {"fields": ["masked_recipient", "masked_phone", "city", "district", "masked_detail"]},
        ),
        (
            _("Amounts"),
            {
                "fields": [
                    "goods_amount",
                    "level_discount_amount",
                    "promotion_discount_amount",
                    "coupon_discount_amount",
                    "points_deduction_amount",
                    "shipping_amount",
                    "shipping_discount_amount",
                    "total_amount",
                    "paid_amount",
                    "refunded_amount",
                    "points_used",
                    "price_steps",
                    "payment_channel",
                    "payment_no",
                ]
            },
        ),
        (
            _("Times"),
            {
                "fields": [
                    "created_at",
                    "expires_at",
                    "paid_at",
                    "reviewed_at",
                    "reviewer_name",
                    "first_reviewer_name",
                    "allocated_at",
                    "shipped_at",
                    "delivered_at",
                    "completed_at",
                    "cancelled_at",
                    "cancel_reason",
                    "closed_at",
                ]
            },
        ),
        (_("Shipments"), {"fields": ["shipment_table"]}),
        (pgettext_lazy("order page", "SLA clocks"), {"fields": ["sla_table"]}),
    ]
    inlines = [OrderLineInline, AfterSaleInline, OrderEventInline]
    actions = ["approve_selected", "ship_selected"]
    actions_list = ["export_records"]
    actions_detail = [
        "approve",
        "reject",
        "warehouse_approve",
        "ship",
        "cancel",
        "freeze",
        "unfreeze",
        "confirm_receipt",
    ]

    # --- the list -----------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        current = request.GET.get("tab", "")
        base = reverse("admin:orders_order_changelist")
        tabs = [
            {
                "title": _("All"),
                "link": base,
                "active": not current,
                "has_permission": True,
            }
        ]
        tabs += [
            {
                "title": title,
                "link": f"{base}?tab={key}",
                "active": current == key,
                "has_permission": True,
            }
            for key, (title, _rows) in ORDER_TABS.items()
        ]
        extra_context = {**(extra_context or {}), "order_tabs": tabs}
        return super().changelist_view(request, extra_context)

    @display(description=_("member"))
    def member_name(self, obj):
        return member_label(obj.member)

    @display(description=_("marks"))
    def flags(self, obj):
        marks = []
        if obj.is_frozen:
            marks.append(str(_("frozen")))
        if obj.is_review_held:
            marks.append(str(_("held at review")))
        if obj.needs_second_review and obj.status == S.PENDING_REVIEW:
            marks.append(str(_("needs a second reviewer")))
        if obj.is_virtual:
            marks.append(str(_("virtual goods")))
        return "、".join(marks) or "—"

    # --- the page -----------------------------------------------------------------

    def editable_in_state(self, obj) -> bool:
        return False  # orders change only through the buttons

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and obj.is_presale:  # docs/PRESALE.md
            fieldsets.insert(3, (_("Presale"), {"fields": PRESALE_FIELDS}))
        return fieldsets

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description=_("reviewer"))
    def reviewer_name(self, obj):
        return person_name(obj.reviewed_by) if obj.reviewed_by_id else "—"

    @display(description=_("first reviewer"))
    def first_reviewer_name(self, obj):
        return person_name(obj.first_reviewed_by) if obj.first_reviewed_by_id else "—"

    @display(description=_("price breakdown"))
    def price_steps(self, obj):
        steps = (obj.pricing or {}).get("steps") if isinstance(obj.pricing, dict) else None
        rows = []
        for step in steps or []:
            if not isinstance(step, dict):
                continue
            label = step.get("label") or step.get("title")
            amount = step.get("amount")
            if label and amount is not None:
                rows.append((str(label), str(amount)))
        if not rows:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><td>{}</td><td class='text-right'>{}</td></tr>", rows),
        )

    @display(description=_("shipments"))
    def shipment_table(self, obj):
        from dispatch.selectors import shipments_by_order

        shipments = shipments_by_order(actor=None, order_nos=[obj.order_no])[obj.order_no]
        if not shipments:
            return "—"
        rows = [
            (
                shipment.shipment_no,
                shipment.warehouse.name,
                shipment.carrier.name if shipment.carrier_id else "—",
                shipment.waybill_no or "—",
                shipment.get_status_display(),
                _when(shipment.shipped_at),
            )
            for shipment in shipments
        ]
        head = format_html_join(
            "",
            "<th class='text-left pr-4'>{}</th>",
            [
                (_("shipment number"),),
                (_("warehouse"),),
                (_("carrier"),),
                (_("waybill number"),),
                (_("status"),),
                (_("shipped at"),),
            ],
        )
        body = format_html_join(
            "",
            "<tr><td class='pr-4'>{}</td><td class='pr-4'>{}</td><td class='pr-4'>{}</td>"
            "<td class='pr-4'>{}</td><td class='pr-4'>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html("<table><tr>{}</tr>{}</table>", head, body)

    @display(description=pgettext_lazy("order page", "SLA clocks"))
    def sla_table(self, obj):
        from django.contrib.contenttypes.models import ContentType

        from ops.selectors import sla_clock_list
        from ops.sla_kinds import registered_sla_kinds

        request_user = getattr(self, "_reader", None)
        if request_user is None:
            return "—"
        clocks = sla_clock_list(actor=request_user).filter(
            subject_type=ContentType.objects.get_for_model(Order),
            subject_id__in=[str(obj.pk), obj.order_no],
        )
        kinds = registered_sla_kinds()
        rows = [
            (
                str(kinds[clock.kind].label) if clock.kind in kinds else clock.kind,
                clock.get_status_display(),
                _when(clock.started_at),
                _when(clock.due_at),
                _when(clock.closed_at),
            )
            for clock in clocks.order_by("id")
        ]
        if not rows:
            return "—"
        head = format_html_join(
            "",
            "<th class='text-left pr-4'>{}</th>",
            [(_("kind"),), (_("status"),), (_("started at"),), (_("due at"),), (_("closed at"),)],
        )
        body = format_html_join(
            "",
            "<tr><td class='pr-4'>{}</td><td class='pr-4'>{}</td><td class='pr-4'>{}</td>"
            "<td class='pr-4'>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html("<table><tr>{}</tr>{}</table>", head, body)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._reader = request.user
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        finally:
            self._reader = None

    # --- buttons (the same services as the staff API) ------------------------------

    @workflow_action(
        description=pgettext_lazy("order action", "Approve"),
        permission=REVIEW_ORDER,
        when=lambda obj: obj.status == S.PENDING_REVIEW and not obj.is_frozen,
        confirm=_("Approve this order? It goes to the warehouse."),
        icon="task_alt",
    )
    def approve(self, request, obj):
        from ..services.review import order_approve

        order_approve(actor=request.user, order=obj)

    @workflow_action(
        description=_("Hold / reject"),
        permission=REVIEW_ORDER,
        when=lambda obj: obj.status == S.PENDING_REVIEW and not obj.is_review_held,
        reason=True,
        icon="pause_circle",
    )
    def reject(self, request, obj, *, reason):
        from ..services.review import order_reject

        order_reject(actor=request.user, order=obj, reason=reason)

    @workflow_action(
        description=_("Warehouse approval"),
        permission=WAREHOUSE_APPROVE_ORDER,
        when=lambda obj: obj.status == S.APPROVED and not obj.is_frozen,
        confirm=_("Approve this order for the warehouse?"),
        icon="warehouse",
    )
    def warehouse_approve(self, request, obj):
        from ..services.review import order_warehouse_approve

        order_warehouse_approve(actor=request.user, order=obj)

    @workflow_action(
        description=_("Ship"),
        permission=SHIP_ORDER,
        when=lambda obj: obj.status in (S.APPROVED, S.ALLOCATED) and not obj.is_frozen,
        form_class=ShipForm,
        icon="local_shipping",
    )
    def ship(self, request, obj, *, waybill_nos, carrier):
        from ..services.shipping import order_ship

        pending = _pending_shipments(obj)
        if len(waybill_nos) != len(pending):
            raise ApplicationError(
                _("Enter %(n)d waybill numbers, one for each shipment waiting to ship.")
                % {"n": len(pending)},
                fields={"waybill_nos": [_("The number of waybills does not match.")]},
            )
        waybills = {
            shipment.pk: (number, carrier)
            for shipment, number in zip(pending, waybill_nos, strict=True)
        }
        order_ship(actor=request.user, order=obj, waybills=waybills)

    @workflow_action(
        description=_("Cancel order"),
        permission=CANCEL_ORDER,
        when=lambda obj: (
            obj.status in (S.PENDING_PAYMENT, S.PAID, S.PENDING_REVIEW, S.APPROVED, S.ALLOCATED)
        ),
        reason=True,
        variant=ActionVariant.DANGER,
        icon="cancel",
    )
    def cancel(self, request, obj, *, reason):
        from ..services.cancellation import order_cancel

        order_cancel(actor=request.user, order=obj, reason=reason)

    @workflow_action(
        description=_("Freeze"),
        permission=FREEZE_ORDER,
        when=lambda obj: not obj.is_frozen and obj.status not in (S.CANCELLED, S.CLOSED),
        reason=True,
        icon="ac_unit",
    )
    def freeze(self, request, obj, *, reason):
        from ..services.review import order_freeze

        order_freeze(actor=request.user, order=obj, reason=reason)

    @workflow_action(
        description=_("Release"),
        permission=FREEZE_ORDER,
        when=lambda obj: obj.is_frozen,
        reason=True,
        icon="lock_open",
    )
    def unfreeze(self, request, obj, *, reason):
        from ..services.review import order_unfreeze

        order_unfreeze(actor=request.user, order=obj, reason=reason)

    @workflow_action(
        description=_("Confirm receipt"),
        permission="orders.change_order",
        when=lambda obj: obj.status in (S.SHIPPED, S.DELIVERED),
        confirm=_("Confirm receipt for the buyer? The order completes."),
        icon="inventory",
    )
    def confirm_receipt(self, request, obj):
        from ..services.shipping import order_confirm_receipt

        order_confirm_receipt(actor=request.user, order=obj)

    # --- batch actions --------------------------------------------------------------

    def _report_batch(self, request, result) -> None:
        done = len(getattr(result, "done", []) or [])
        failed = getattr(result, "failed", {}) or {}
        if done:
            self.message_user(
                request, _("%(n)d orders done.") % {"n": done}, level=messages.SUCCESS
            )
        for order_no, message in failed.items():
            self.message_user(request, f"{order_no}: {message}", level=messages.ERROR)

    @action(description=_("Approve selected orders"), permissions=["review"])
    def approve_selected(self, request, queryset):
        from ..services.review import orders_approve_batch

        result = self.run_service(
            request, orders_approve_batch, actor=request.user, orders=list(queryset)
        )
        if result is not None:
            self._report_batch(request, result)

    @action(description=_("Ship selected orders"), permissions=["ship"])
    def ship_selected(self, request, queryset):
        """批量发货: a page asks one waybill per shipment waiting; then each order ships
        in its own savepoint (``orders_ship_batch``) and failures are listed by number."""
        from django.template.response import TemplateResponse

        from ..services.shipping import orders_ship_batch

        orders = list(queryset.filter(status__in=[S.APPROVED, S.ALLOCATED]))
        rows = [{"order": order, "shipments": _pending_shipments(order)} for order in orders]
        if not request.POST.get("apply"):
            context = {
                **self.admin_site.each_context(request),
                "title": _("Ship selected orders"),
                "opts": self.model._meta,
                "rows": rows,
                "selected": [order.pk for order in queryset],
            }
            return TemplateResponse(request, "admin/orders/order/ship_batch.html", context)
        plan = {}
        for row in rows:
            waybills = {}
            for shipment in row["shipments"]:
                number = (request.POST.get(f"waybill_{shipment.pk}") or "").strip()
                if number:
                    waybills[shipment.pk] = (number, None)
            if row["order"].is_virtual or waybills:
                plan[row["order"]] = waybills
        if not plan:
            self.message_user(request, _("No waybill was entered."), level=messages.WARNING)
            return None
        result = self.run_service(request, orders_ship_batch, actor=request.user, shipments=plan)
        if result is not None:
            self._report_batch(request, result)
        return None

    @action(
        description=_("Export order processing records"),
        url_path="export-records",
        permissions=["export"],
        icon="download",
    )
    def export_records(self, request):
        """订单处理记录表 of the list as filtered (the staff API's export, run as a job).

        The list's filters (read from the page the button was pressed on) become the
        staff API's filters; the job replays the export for the reader, with their scope
        and masking, and lands in 我的任务 (My jobs).
        """
        from urllib.parse import parse_qsl, urlsplit

        from django.http import HttpResponseRedirect

        from mall.core.exports import export_job_request

        from ..apis import staff_orders  # noqa: F401 - registers the export viewset

        if not self.has_export_permission(request):
            raise PermissionDenied
        back = reverse("admin:orders_order_changelist")
        referer = urlsplit(request.headers.get("Referer", ""))
        if referer.path == back:
            back = f"{back}?{referer.query}" if referer.query else back
        query = export_query(parse_qsl(referer.query) if referer.path in back else [])
        job = self.run_service(
            request,
            export_job_request,
            actor=request.user,
            export_name=ORDER_EXPORT_NAME,
            fmt="xlsx",
            query=query,
            model="orders.order",
        )
        if job is not None:
            self.message_user(
                request,
                _("The export is being prepared; download it from My jobs."),
                level=messages.SUCCESS,
            )
        return HttpResponseRedirect(back)

    def has_review_permission(self, request):
        return request.user.has_perm(REVIEW_ORDER)

    def has_ship_permission(self, request):
        return request.user.has_perm(SHIP_ORDER)

    def has_export_permission(self, request):
        return request.user.has_perm(EXPORT_ORDER)


# The staff API's order export (orders/apis/staff_orders.py), replayed by the export job.
ORDER_EXPORT_NAME = "orders.apis.staff_orders.OrderViewSet"

# The list's tabs the staff API's ``tab`` filter knows; the others map to its filters.
_API_TABS = {"pending_review", "to_ship", "shipped", "after_sale", "frozen"}
_TAB_FILTERS = {"pending_payment": ("status", "pending_payment"), "review_held": ("held", "true")}


def export_query(params) -> list[tuple[str, str]]:
    """The staff API's filters for the admin list's parameters (what does not map is left out)."""
    from rbac.models import SalesRegion

    query: list[tuple[str, str]] = []
    for key, value in params:
        if key == "tab":
            if value in _API_TABS:
                query.append(("tab", value))
            elif value in _TAB_FILTERS:
                query.append(_TAB_FILTERS[value])
        elif key == "status__exact":
            query.append(("status", value))
        elif key in ("is_frozen__exact", "is_review_held__exact"):
            name = "frozen" if key.startswith("is_frozen") else "held"
            query.append((name, "true" if value in ("1", "True", "true") else "false"))
        elif key == "region__id__exact" and value.isdigit():
            code = SalesRegion.objects.filter(pk=int(value)).values_list("code", flat=True).first()
            if code:
                query.append(("region", code))
        elif key == "channel" and value.isdigit():
            code = SalesChannel.objects.filter(pk=int(value)).values_list("code", flat=True).first()
            if code:
                query.append(("channel", code))
        elif key == "created_at__gte":
            query.append(("created_after", value))
        elif key == "created_at__lt":
            query.append(("created_before", value))
        elif key == "q" and value.strip():
            query.append(("q", value.strip()[:24]))
    return query
