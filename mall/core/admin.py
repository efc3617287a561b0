"""``ScopedModelAdmin``: the admin base every scoped model uses.

* ``get_queryset`` goes through the data scope, which also covers the change,
  delete and history views and admin actions (Django loads their objects through
  ``get_queryset``): a row outside scope is "not found".
* Foreign-key and many-to-many dropdowns are scoped too, and so are the labels a
  ``raw_id_fields`` input shows and the choices of relation ``list_filter`` entries
  (also ``a__b`` paths): a row outside scope is never named.
* Writes go through services: ``save_model``/``delete_model`` must be overridden
  to call them; the default raises instead of writing behind the services' back.
* ``delete_selected`` is dropped; bulk deletion has rules.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError

from .exceptions import ApplicationError
from .masking import PII_PERMISSION, PiiPolicy
from .scoping import scope_queryset


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A changelist filter on a relation that offers only the related rows in scope."""

    def field_choices(self, field, request, model_admin):
        queryset = scope_queryset(request.user, field.related_model._default_manager.all())
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class ScopedForeignKeyRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id input that names the chosen row only when the reader may see it."""

    def __init__(self, rel, admin_site, attrs=None, using=None, *, user=None):
        super().__init__(rel, admin_site, attrs, using)
        self.user = user

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        queryset = scope_queryset(self.user, self.rel.model._default_manager.using(self.db))
        try:
            visible = queryset.filter(**{key: value}).exists()
        except (ValueError, TypeError, ValidationError):
            return "", ""
        if not visible:
            return "", ""
        return super().label_and_url_for_value(value)


def _relation_field(model, path: str):
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None
    if field.is_relation and field.related_model is not None:
        return field
    return None


class ScopedModelAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the whole table on big lists

    def get_queryset(self, request):
        return scope_queryset(request.user, super().get_queryset(request))

    def get_list_filter(self, request):
        """Filters on foreign keys / many-to-many list only related rows in scope."""
        scoped = []
        for entry in super().get_list_filter(request):
            path = None
            if isinstance(entry, str):
                path = entry
            elif (
                isinstance(entry, tuple | list)
                and len(entry) == 2
                and isinstance(entry[0], str)
                and entry[1] is admin.RelatedFieldListFilter
            ):
                path = entry[0]
            if path is not None and _relation_field(self.model, path) is not None:
                entry = (path, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

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
        if "widget" not in kwargs and db_field.name in self.raw_id_fields:
            kwargs["widget"] = ScopedForeignKeyRawIdWidget(
                db_field.remote_field, self.admin_site, using=kwargs.get("using"), user=request.user
            )
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


# --- personal data in the admin -----------------------------------------------------------

_admin_pii_policy: ContextVar[PiiPolicy | None] = ContextVar("admin_pii_policy", default=None)


def _masked_column(field: str, kind: str, description):
    def column(obj):
        policy = _admin_pii_policy.get() or PiiPolicy(None)
        return policy.value(obj, field, getattr(obj, field, ""), kind)

    column.short_description = description
    column.admin_order_field = None
    return column


class PiiAdminMixin:
    """Mask personal data on the changelist and change form; audit unmasked reads.

    ``pii_fields = {"phone": "phone", "name": "name"}`` maps model fields to masker
    kinds (phone, name, id_number, address). Use ``masked_<field>`` in
    ``list_display``. On the change form, a reader without the PII permission sees
    the masked value read-only instead of the field; a reader with it sees the field,
    and the reveal is audited (``pii.reveal``) once the page is rendered.
    """

    pii_fields: dict[str, str] = {}
    pii_permission = PII_PERMISSION

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, kind in self.pii_fields.items():
            verbose = self.model._meta.get_field(field).verbose_name
            setattr(self, f"masked_{field}", _masked_column(field, kind, verbose))

    def _policy(self, request) -> PiiPolicy:
        return PiiPolicy(request.user, permission=self.pii_permission)

    def _render_with_policy(self, request, view, *args, **kwargs):
        policy = self._policy(request)
        token = _admin_pii_policy.set(policy)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        finally:
            _admin_pii_policy.reset(token)
        if response.status_code < 400:
            policy.flush(context=f"admin {request.path}")
        return response

    def changelist_view(self, request, extra_context=None):
        return self._render_with_policy(request, super().changelist_view, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        policy_user_reveals = self._policy(request).reveal
        response = self._render_with_policy(
            request, super().change_view, object_id, form_url, extra_context
        )
        if policy_user_reveals and response.status_code == 200 and request.method == "GET":
            obj = self.get_object(request, object_id)
            if obj is not None:
                policy = self._policy(request)
                for field, kind in self.pii_fields.items():
                    policy.value(obj, field, getattr(obj, field, ""), kind)
                policy.flush(context=f"admin {request.path}")
        return response

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not self._policy(request).reveal:
            exclude += [field for field in self.pii_fields if field not in exclude]
        return exclude

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not self._policy(request).reveal:
            fields = [f for f in fields if f not in self.pii_fields]
            fields += [f"masked_{f}" for f in self.pii_fields if f"masked_{f}" not in fields]
        else:
            fields = [f for f in fields if not f.startswith("masked_")]
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self._policy(request).reveal:
            readonly += [f"masked_{f}" for f in self.pii_fields]
        return readonly


# --- change forms that save through a service ---------------------------------------------


class _ServiceFailed(Exception):
    def __init__(self, error: ApplicationError):
        super().__init__(error.message)
        self.error = error


class ServiceModelAdmin(ScopedModelAdmin):
    """A scoped admin whose add/change form saves by calling a service.

    Implement ``save_with_service(request, obj, form, change)`` returning the saved
    object (a new one for "add"); many-to-many fields are the service's job too
    (``save_related`` does not write them behind its back); inline rows are saved
    by ``save_formset`` calling services. A domain error (of either) rolls the
    whole form back and the same form is shown again with what was typed, the error
    on the fields it names (else above the form) and as an error message.
    """

    def save_with_service(self, request, obj, form, change):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        try:
            saved = self.save_with_service(request, obj, form, change)
        except ApplicationError as exc:
            raise _ServiceFailed(exc) from exc
        if saved is not None and saved is not obj:
            for field in saved._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))
            obj._state.adding = False
            obj._state.db = saved._state.db

    def save_related(self, request, form, formsets, change):
        # Inline rows are saved by services too (``save_formset``): their refusal
        # rolls the whole form back like the parent's.
        try:
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)
        except ApplicationError as exc:
            raise _ServiceFailed(exc) from exc

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        error = getattr(request, "_service_refusal", None)
        if error is None:
            return form_class
        return _refused_form(form_class, error)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ServiceFailed as failed:
            self.message_user(request, failed.error.message, level=messages.ERROR)
            if request.method != "POST":
                from django.http import HttpResponseRedirect

                return HttpResponseRedirect(request.get_full_path())
            # Everything was rolled back; show the same bound form again, refused.
            request._service_refusal = failed.error
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            finally:
                del request._service_refusal


def _refused_form(form_class, error: ApplicationError):
    """``form_class`` whose validation fails with the service's error (typed input kept)."""

    class RefusedForm(form_class):
        def clean(self):
            cleaned = super().clean()
            placed = False
            for name, problems in (error.fields or {}).items():
                if name in self.fields:
                    problems = problems if isinstance(problems, list | tuple) else [problems]
                    for problem in problems:
                        self.add_error(name, str(problem))
                    placed = True
            if not placed:
                self.add_error(None, error.message)
            return cleaned

    RefusedForm.__name__ = form_class.__name__
    return RefusedForm
