"""The department tree."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mall.core.admin import ServiceModelAdmin, person_column

from .. import selectors, services
from ..models import (
    Department,
)


@admin.register(Department)
class DepartmentAdmin(ServiceModelAdmin):
    list_selector = selectors.department_list
    list_display = ["indented_name", "code", "head_name", "default_role_codes", "sort_order"]
    search_fields = ["name", "code"]
    fields = ["code", "name", "parent", "head", "default_roles", "sort_order"]
    head_name = person_column("head", _("department head"), account=True)
    filter_horizontal = ["default_roles"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj):
        depth = obj.path.count("/") - 2
        return format_html("{}{}", "— " * max(depth, 0), obj.name)

    @admin.display(description=_("default roles"))
    def default_role_codes(self, obj):
        return ", ".join(role.code for role in obj.default_roles.all())

    def save_with_service(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            return services.department_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                parent=data["parent"],
                head=data["head"],
                default_roles=data["default_roles"],
                sort_order=data["sort_order"],
            )
        return services.department_update(
            actor=request.user,
            department=obj,
            name=data["name"],
            parent=data["parent"],
            head=data["head"],
            default_roles=data["default_roles"],
            sort_order=data["sort_order"],
        )

    def has_delete_permission(self, request, obj=None):
        return False
