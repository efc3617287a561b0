"""Product import jobs."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mall.core.admin import (
    ReadOnlyModelAdmin,
    person_column,
)

from .. import selectors
from ..models import (
    ProductImport,
)


@admin.register(ProductImport)
class ProductImportAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "file_name",
        "status",
        "row_count",
        "error_count",
        "created_by_name",
        "created_at",
        "report_link",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    created_by_name = person_column("created_by", _("imported by"))

    def get_queryset(self, request):
        return selectors.product_import_list(actor=request.user)

    @admin.display(description=_("error report"))
    def report_link(self, record: ProductImport):
        if not record.report:
            return "—"
        url = reverse("catalog-import-report", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, _("download"))
