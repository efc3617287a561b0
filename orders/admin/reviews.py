"""Reviews (评价) in the admin: stars, the negative queue, reply and hide buttons."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from unfold.forms import BaseDialogForm

from mall.core.admin import (
    ServiceModelAdmin,
    TabularInline,
    person_column,
    status_display,
    workflow_action,
)

from .. import permissions as perms
from .. import selectors
from ..models import Review, ReviewImage
from ..services import reviews as services

R = Review.Status


class NegativeFilter(admin.SimpleListFilter):
    title = _("negative reviews")
    parameter_name = "negative"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("negative, waiting for a reply")),
            ("yes", _("negative (≤ 2 stars)")),
            ("no", _("3 stars or more")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(rating__lte=2, reply_text="").exclude(status=R.DELETED)
        if self.value() == "yes":
            return queryset.filter(rating__lte=2)
        if self.value() == "no":
            return queryset.filter(rating__gt=2)
        return queryset


class ReviewImageInline(TabularInline):
    model = ReviewImage
    extra = 0
    can_delete = False
    hide_title = True
    fields = ["picture", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(perms.VIEW_REVIEW)

    @admin.display(description=_("image"))
    def picture(self, row):
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="" '
            'style="max-height:120px;max-width:160px"></a>',
            row.image.url,
        )


class ReplyForm(BaseDialogForm):
    text = forms.CharField(
        label=_("reply"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )


def _review_rows(*, actor):
    return selectors.review_list(actor=actor).select_related("region", "replied_by")


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


@admin.register(Review)
class ReviewAdmin(ServiceModelAdmin):
    list_selector = _review_rows
    nav_group = "orders"
    nav_order = 40
    nav_icon = "reviews"
    list_display = [
        "product_title",
        "star_display",
        "short_text",
        status_display("status", {R.SHOWN: "success", R.HIDDEN: "warning", R.DELETED: "danger"}),
        "answered",
        "order_no",
        "region",
        "created_at",
    ]
    list_filter = [NegativeFilter, "status", "rating", "has_photos", "region"]
    search_fields = ["=order__order_no", "=line__sku_code"]
    search_help_text = _("Search by order number or SKU code (exact).")
    ordering = ["-id"]
    fields = [
        "order_no",
        "product_title",
        "star_display",
        "text",
        "status",
        "hidden_reason",
        "has_photos",
        "region",
        "reply_text",
        "replier",
        "replied_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [ReviewImageInline]
    actions_detail = ["reply", "hide", "show"]

    @admin.display(description=_("product"))
    def product_title(self, review):
        return review.line.product_title

    @admin.display(description=_("stars"), ordering="rating")
    def star_display(self, review):
        colour = "#dc2626" if review.rating <= 2 else "#f59e0b"
        return format_html(
            '<span style="color:{}" title="{}">{}</span>',
            colour,
            review.rating,
            stars(review.rating),
        )

    @admin.display(description=_("review text"))
    def short_text(self, review):
        return Truncator(review.text).chars(40) or "—"

    @admin.display(description=_("answered"), boolean=True)
    def answered(self, review):
        return bool(review.reply_text)

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, review):
        return review.order.order_no

    replier = person_column("replied_by", _("replied by"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def editable_in_state(self, obj) -> bool:
        return False  # replies, hiding and showing are buttons (services)

    @workflow_action(
        description=_("Reply"),
        permission=perms.REPLY_REVIEW,
        when=lambda review: review.status != R.DELETED,
        form_class=ReplyForm,
        success=_("Reply saved."),
    )
    def reply(self, request, review, *, text):
        services.review_reply(actor=request.user, review=review, text=text)

    @workflow_action(
        description=_("Hide"),
        permission=perms.HIDE_REVIEW,
        when=lambda review: review.status == R.SHOWN,
        reason=True,
    )
    def hide(self, request, review, *, reason):
        services.review_hide(actor=request.user, review=review, reason=reason)

    @workflow_action(
        description=_("Show again"),
        permission=perms.HIDE_REVIEW,
        when=lambda review: review.status == R.HIDDEN,
        confirm=_("Show this review in the shop again?"),
    )
    def show(self, request, review):
        services.review_show(actor=request.user, review=review)
