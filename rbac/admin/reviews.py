"""The monthly access review."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ReadOnlyModelAdmin, TabularInline
from mall.core.exceptions import NotFound

from .. import permissions as perms
from .. import selectors, services
from ..exports import access_review_export
from ..models import (
    AccessReview,
    AccessReviewLine,
)


class AccessReviewLineInline(TabularInline):
    model = AccessReviewLine
    fields = ["username", "department", "roles", "scope", "object_grants", "is_superuser"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessReview)
class AccessReviewAdmin(ReadOnlyModelAdmin):
    list_display = ["period_label", "created_at", "line_count", "signed_off_by", "download"]
    actions = ["sign_off_selected"]
    inlines = [AccessReviewLineInline]
    readonly_fields = ["period", "created_at", "created_by", "signed_off_by", "signed_off_at"]
    change_list_template = "admin/rbac/accessreview/change_list.html"

    def get_queryset(self, request):
        queryset = selectors.access_review_list(actor=request.user)
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset.annotate(line_total=Count("lines"))

    @admin.display(description=_("period"), ordering="period")
    def period_label(self, obj):
        return str(obj)

    @admin.display(description=_("staff accounts"))
    def line_count(self, obj):
        total = getattr(obj, "line_total", None)
        return obj.lines.count() if total is None else total

    @admin.display(description=_("Excel"))
    def download(self, obj):
        url = reverse("admin:rbac_accessreview_export", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    def get_urls(self):
        custom = [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="rbac_accessreview_export",
            ),
            path(
                "generate/",
                self.admin_site.admin_view(self.generate_view),
                name="rbac_accessreview_generate",
            ),
        ]
        return custom + super().get_urls()

    def export_view(self, request, pk):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        try:
            review = selectors.access_review_get(actor=request.user, pk=pk)
        except NotFound:
            raise Http404 from None
        return access_review_export(user=request.user, review=review, fmt="xlsx")

    def generate_view(self, request):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:rbac_accessreview_changelist"))
        review = self.run_service(
            request,
            services.access_review_generate,
            actor=request.user,
            success=gettext("The access review of this month is ready."),
        )
        if review is None:
            return HttpResponseRedirect(reverse("admin:rbac_accessreview_changelist"))
        return HttpResponseRedirect(reverse("admin:rbac_accessreview_change", args=[review.pk]))

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_generate"] = request.user.has_perm(perms.ADD_ACCESS_REVIEW)
        return super().changelist_view(request, extra_context)

    def has_sign_off_permission(self, request):
        return request.user.has_perm(perms.SIGN_OFF_ACCESS_REVIEW)

    @admin.action(description=_("Sign off selected reviews"), permissions=["sign_off"])
    def sign_off_selected(self, request, queryset):
        for review in queryset:
            self.run_service(
                request,
                services.access_review_sign_off,
                actor=request.user,
                review=review,
                success=gettext("Review %(period)s signed off.") % {"period": review},
            )
