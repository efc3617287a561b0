"""``ScopedModelAdmin``: the admin base every scoped model uses.

* ``get_queryset`` goes through the data scope, which also covers the change,
  delete and history views and admin actions (Django loads their objects through
  ``get_queryset``): a row outside scope is "not found".
* Foreign-key and many-to-many dropdowns are scoped too.
* Writes go through services: ``save_model``/``delete_model`` must be overridden
  to call them; the default raises instead of writing behind the services' back.
* ``delete_selected`` is dropped; bulk deletion has rules.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from .exceptions import ApplicationError
from .scoping import scope_queryset


class ScopedModelAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the whole table on big lists

    def get_queryset(self, request):
        return scope_queryset(request.user, super().get_queryset(request))

    def _scope_related(self, request, db_field, kwargs):
        if "queryset" in kwargs:
            kwargs["queryset"] = scope_queryset(request.user, kwargs["queryset"])
        else:
            related = db_field.remote_field.model
            queryset = related._default_manager.using(kwargs.get("using"))
            kwargs["queryset"] = scope_queryset(request.user, queryset)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scope_related(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scope_related(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        raise PermissionDenied(f"{type(self).__name__} must save through a service")

    def delete_model(self, request, obj):
        raise PermissionDenied(f"{type(self).__name__} must delete through a service")

    def run_service(self, request, func, *args, success: str | None = None, **kwargs):
        """Call a service from an admin view; turn domain errors into messages.

        Returns the service's result, or ``None`` after reporting the error.
        """
        try:
            result = func(*args, **kwargs)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return None
        if success:
            self.message_user(request, success, level=messages.SUCCESS)
        return result


class ReadOnlyModelAdmin(ScopedModelAdmin):
    """A scoped admin that nobody can add to, change or delete from."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
