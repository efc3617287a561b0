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
* ``editable_in_state(obj)``: an object that cannot be edited in its state (an
  approved product, a posted document) opens as a read-only page instead of inputs
  that fail on save.
* Workflow steps are buttons on the change page (:func:`workflow_action`): each one
  asks to confirm (and for a reason where the step needs one) in a dialog, POSTs,
  and calls the same service the API calls.
* The look is django-unfold's (``unfold.admin.ModelAdmin``); inlines use
  :class:`TabularInline` / :class:`StackedInline` from here; the sidebar entry is
  ``nav_group`` / ``nav_order`` / ``nav_icon`` (``mall.core.navigation``).
* Statuses in lists are coloured labels, the same way in every app:
  :func:`status_display` (``list_display = [..., status_display("status", {...})]``).
* Third-party models that name themselves in English only (django-guardian,
  django-celery-beat) get Chinese labels through :func:`relabel` (see
  :func:`relabel_third_party_models`).
* ``estimated_count = True`` is the one switch for tables that grow without bound
  (members, stock movements, the audit log, job runs, notifications, orders): no
  ``COUNT(*)`` over the table, searches that use indexes, list-filter choices read
  from an index (see "Tables that grow without bound" below and docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import (
    NotRelationField,
    get_fields_from_path,
    lookup_spawns_duplicates,
    quote,
    unquote,
)
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import (
    EmptyResultSet,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import StackedInline as UnfoldStackedInline
from unfold.admin import TabularInline as UnfoldTabularInline
from unfold.decorators import action as unfold_action
from unfold.decorators import display as unfold_display
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from . import counts
from .counts import RowCount, count_rows
from .exceptions import ApplicationError
from .masking import PII_PERMISSION, PiiPolicy
from .people import full_name, person_label, person_name
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


# --- tables that grow without bound -------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """A paginator whose count never runs ``COUNT(*)`` over a big table.

    ``count`` comes from :func:`mall.core.counts.count_rows` (the table estimate for a
    whole-table list, a capped count for anything filtered or scoped, the exact count
    on SQLite); ``count_label`` is what the page shows ("约 1,000,000", "超过 10,000"),
    empty when the count is exact.
    """

    def __init__(self, *args, cap: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap if cap is not None else counts.COUNT_CAP

    @cached_property
    def row_count(self) -> RowCount:
        return count_rows(self.object_list, cap=self.cap)

    @cached_property
    def count(self) -> int:
        return self.row_count.value

    @property
    def count_label(self) -> str:
        return "" if self.row_count.is_exact else self.row_count.label()


def _leads_an_index(model, field) -> bool:
    if field.db_index or field.unique or field.primary_key:
        return True
    for index in model._meta.indexes:
        if index.fields and index.fields[0].lstrip("-") == field.name:
            return True
    return False


class IndexedValuesListFilter(admin.AllValuesFieldListFilter):
    """ "All values" of a column, read by walking its index instead of ``DISTINCT``.

    Django's filter runs ``SELECT DISTINCT col`` over the (scoped) table: a full scan
    at a million rows. Here each choice is one ``… WHERE col > previous ORDER BY col
    LIMIT 1`` over the same scoped queryset — an index probe when an index leads with
    the column (without one, Django's query is kept). At most ``max_choices`` values.
    For readers whose scope is one column (own rows: ``actor``), an index on
    ``(scope column, col)`` keeps each probe short when values and owners correlate.
    """

    max_choices = 100
    # The choices are kept this long, keyed by the exact scoped query (its SQL and
    # parameters): readers with the same scope share them, any other scope — a region
    # more or less, another owner — is another key. A new value shows within this time.
    cache_seconds = 300

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        if field_path != field.name or not _leads_an_index(model, field):
            return
        name = field.name
        column = model_admin.get_queryset(request).order_by(name).values_list(name, flat=True)
        try:
            sql, sql_params = column.query.sql_with_params()
        except EmptyResultSet:
            self.lookup_choices = []
            return
        query = f"{column.db}|{sql}|{sql_params!r}|{self.max_choices}"
        key = "admin-filter-values:" + hashlib.sha256(query.encode()).hexdigest()
        values = cache.get(key)
        if values is None:
            values = self._walk(column, field)
            cache.set(key, values, self.cache_seconds)
        self.lookup_choices = values

    def _walk(self, column, field) -> list:
        # ORDER BY col LIMIT 1 rather than MIN(col): PostgreSQL turns MIN into an index
        # probe only on a single table, and a scope often joins (stock → warehouse).
        name = field.name
        values: list = []
        current = column.filter(**{f"{name}__isnull": False}).first()
        while current is not None and len(values) < self.max_choices:
            values.append(current)
            current = column.filter(**{f"{name}__gt": current}).first()
        if field.null and column.filter(**{f"{name}__isnull": True}).exists():
            values.append(None)
        return values


# Related lookups (``stock__sku__code``) on a big table are resolved first on the small
# related table; up to this many ids go into the query as a list (an index probe each).
SEARCH_RELATED_IDS = 1_000


def _search_lookup(spec: str) -> str:
    if spec.startswith("^"):
        return f"{spec[1:]}__istartswith"
    if spec.startswith("="):
        return f"{spec[1:]}__iexact"
    if spec.startswith("@"):
        return f"{spec[1:]}__search"
    return spec if _has_lookup(spec) else f"{spec}__icontains"


def _has_lookup(spec: str) -> bool:
    *path, last = spec.split("__")
    if not path:
        return False
    return last in {"exact", "iexact", "startswith", "istartswith", "icontains", "contains"}


class DeclaredLookupsOnlyMixin:
    """Changelists accept only the parameters their own filters produce (every admin).

    ``ScopedModelAdmin`` includes it; a third-party admin (django-celery-beat's) is
    registered again with it in front (``ops/admin/schedule.py``). The whole query string is
    checked before the changelist runs, so a custom changelist page is held to the
    same rule.
    """

    def get_urls(self):
        """Check the query string before any changelist view runs (custom ones too)."""
        from functools import update_wrapper

        from django.urls import URLPattern

        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        urls = []
        for pattern in super().get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == name:
                view = pattern.callback

                def checked(request, *args, _view=view, **kwargs):
                    self.check_changelist_parameters(request)
                    return _view(request, *args, **kwargs)

                pattern.callback = update_wrapper(checked, view)
            urls.append(pattern)
        return urls

    def check_changelist_parameters(self, request) -> None:
        """Raise ``DisallowedModelAdminLookup`` (400) for any parameter not declared."""
        from django.contrib.admin.exceptions import DisallowedModelAdminLookup
        from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR

        for key in request.GET:
            if key in IGNORED_PARAMS or key in (PAGE_VAR, ERROR_FLAG):
                continue
            for value in request.GET.getlist(key):
                if not self.lookup_allowed(key, value, request):
                    raise DisallowedModelAdminLookup(f"Filtering by {key} not allowed")

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        """Accept only the parameters this changelist's own filters and date hierarchy make.

        Django accepts a lookup on any local field typed into the URL
        (``?password__startswith=pbkdf2``, ``?phone_hash=…``, ``?title__regex=…``):
        each answer (rows or none) is an oracle on a column the page never shows.
        Here a parameter must be one that a declared ``list_filter`` or the
        ``date_hierarchy`` produces, or the exact ``limit_choices_to`` pair of a
        raw-id popup; anything else is refused (``DisallowedModelAdminLookup``: a
        400 page). Search (``q``), ordering (``o``, by listed column index) and
        paging are not lookups and are handled by the changelist itself.
        """
        if request is not None and lookup in self._changelist_parameters(request):
            return True
        return self._is_popup_limit(lookup, value)

    def _changelist_parameters(self, request) -> frozenset[str]:
        cache = request.__dict__.setdefault("_mall_changelist_parameters", {})
        key = type(self)
        if key not in cache:
            cache[key] = frozenset(self._declared_parameters(request))
        return cache[key]

    def _declared_parameters(self, request) -> set[str]:
        from django.contrib.admin.filters import FieldListFilter
        from django.contrib.admin.utils import get_fields_from_path

        names: set[str] = set()
        for entry in self.get_list_filter(request):
            if isinstance(entry, tuple | list):
                path, filter_class = entry
            elif callable(entry):
                names.update(entry(request, {}, self.model, self).expected_parameters())
                continue
            else:
                path, filter_class = entry, FieldListFilter.create
            field = get_fields_from_path(self.model, path)[-1]
            spec = filter_class(field, request, {}, self.model, self, field_path=path)
            names.update(spec.expected_parameters())
        if self.date_hierarchy:
            names.update(f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day"))
        return names

    def _is_popup_limit(self, lookup, value) -> bool:
        from django.contrib.admin.widgets import url_params_from_lookup_dict

        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False


class TabularInline(UnfoldTabularInline):
    """The inline base of every admin (the theme's look); rows are scoped by the parent."""

    tab = False


class StackedInline(UnfoldStackedInline):
    """The stacked inline base of every admin."""


class ScopedModelAdmin(DeclaredLookupsOnlyMixin, UnfoldModelAdmin):
    list_per_page = 50
    # Sidebar entry (mall.core.navigation): the work group, order inside it, icon.
    nav_group: str | None = None
    nav_order: int = 100
    nav_icon: str | None = None
    # Full-width lists and the submit row kept in view on long forms.
    list_fullwidth = True
    warn_unsaved_form = True
    show_full_result_count = False  # no COUNT(*) over the whole table on big lists
    # The switch for tables that grow without bound: estimated/capped counts, indexed
    # searches and list-filter choices, no facet counts (see the module doc).
    estimated_count = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _name_status_columns(self)
        if self.estimated_count:
            # Facets run one COUNT per filter choice over the table; "select all N"
            # across pages would name an estimate, not the rows the action touches.
            self.show_facets = ShowFacets.NEVER
            self.actions_selection_counter = False

    # The app's list selector, ``(*, actor) -> QuerySet``: when set, the changelist,
    # change, history and delete views and the actions read exactly the rows (and the
    # ``select_related``) the API serves. Without it: the model's rows in the reader's scope.
    list_selector = None

    def get_queryset(self, request):
        selector = type(self).list_selector
        if selector is None:
            return scope_queryset(request.user, super().get_queryset(request))
        queryset = selector(actor=request.user)
        # Django's changelist ignores ``list_select_related`` when the queryset already
        # has a select_related (every selector does): add it here, or each row of a
        # column across a relation costs a query.
        if isinstance(self.list_select_related, (list, tuple)) and self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if not self.estimated_count:
            return super().get_paginator(
                request, queryset, per_page, orphans, allow_empty_first_page
            )
        return EstimatedCountPaginator(queryset, per_page, orphans, allow_empty_first_page)

    def get_search_results(self, request, queryset, search_term):
        """On big tables, resolve related lookups on the related (small) table first.

        ``reference_no OR stock.sku.code`` as one query joins the big table to the
        related ones and scans it; ``reference_no LIKE 'X%' OR stock_id IN (1, 2, …)``
        is two index probes. Only the related table's ids are read this way: the
        result is still filtered by the caller's (scoped) queryset.
        """
        if not self.estimated_count:
            return super().get_search_results(request, queryset, search_term)
        search_fields = self.get_search_fields(request)
        if not search_fields or not search_term:
            return queryset, False
        lookups = [_search_lookup(str(spec)) for spec in search_fields]
        terms = []
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            terms.append(Q.create([self._search_term(lookup, bit) for lookup in lookups], "OR"))
        queryset = queryset.filter(Q.create(terms))
        return queryset, any(lookup_spawns_duplicates(self.opts, lookup) for lookup in lookups)

    def _search_term(self, lookup: str, value: str) -> Q:
        first, _sep, rest = lookup.partition("__")
        try:
            field = self.model._meta.get_field(first)
        except FieldDoesNotExist:
            return Q(**{lookup: value})
        if not (field.many_to_one and rest.count("__") >= 1):
            return Q(**{lookup: value})
        related = field.related_model._default_manager.filter(**{rest: value})
        ids = list(related.values_list("pk", flat=True)[: SEARCH_RELATED_IDS + 1])
        if len(ids) <= SEARCH_RELATED_IDS:
            return Q(**{f"{first}__in": ids})
        return Q(**{f"{first}__in": related.values("pk")})

    def get_list_filter(self, request):
        """Filters on foreign keys / many-to-many list only related rows in scope.

        With ``estimated_count``, a plain column's "all values" come from its index.
        """
        scoped = []
        for entry in super().get_list_filter(request):
            if self.estimated_count and isinstance(entry, str):
                entry = self._indexed_values_filter(entry)
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

    def _indexed_values_filter(self, path: str):
        try:
            field = self.model._meta.get_field(path)
        except FieldDoesNotExist:
            return path
        plain = (
            not field.is_relation
            and not field.flatchoices
            and not isinstance(field, models.BooleanField | models.DateField)
        )
        return (path, IndexedValuesListFilter) if plain else path

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
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.remote_field.model is get_user_model():
            # Staff are picked by their real name (Chinese order), login name beside it.
            field.label_from_instance = person_label
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scope_related(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- state: read-only pages and workflow buttons ---------------------------------

    def editable_in_state(self, obj) -> bool:
        """Whether ``obj`` may be edited in its current state (override per model).

        When not, the change page is read-only (Django's view page) for everybody:
        the workflow buttons stay, the inputs that would fail on save do not.
        """
        return True

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self.editable_in_state(obj)

    def get_actions_detail(self, request, object_id):
        """The workflow buttons this reader may press on this object in its state."""
        actions = super().get_actions_detail(request, object_id)
        if not any(_workflow_of(action.method) for action in actions):
            return actions
        obj = self.get_object(request, object_id) if object_id else None
        if obj is None:
            return [action for action in actions if not _workflow_of(action.method)]
        return [
            action
            for action in actions
            if (spec := _workflow_of(action.method)) is None or spec.allowed(self, request, obj)
        ]

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


# --- workflow buttons ---------------------------------------------------------------------


# --- status labels ---------------------------------------------------------------------------

# Colours a status label may take (the theme's label variants).
STATUS_COLOURS = frozenset({"info", "success", "warning", "danger", "primary"})


class _StatusColours(dict):
    """Choice value → colour; a value with no colour is a grey label (never its code)."""

    def __missing__(self, key):
        return None

    def __bool__(self) -> bool:  # the theme checks ``if label:``; an empty map still labels
        return True


def status_display(field: str, colours: dict | None = None, *, description=None):
    """A list column showing ``field``'s choice label as a coloured label.

    ``colours`` maps choice values to one of :data:`STATUS_COLOURS` ("success",
    "warning", "danger", "info", "primary"); values not in it show as a grey label.
    The label text is always the choice's (translated) label, never the stored
    code. The column is titled with the field's ``verbose_name`` unless
    ``description`` is given, and sorts by the field::

        list_display = ["title", status_display("status", {
            ProductStatus.ON_SHELF: "success",
            ProductStatus.PENDING_REVIEW: "warning",
            ProductStatus.REJECTED: "danger",
        })]

    For lists only (``list_display``); on the change page the field itself already
    reads as its choice label.
    """
    mapping = _StatusColours()
    for value, colour in (colours or {}).items():
        if colour not in STATUS_COLOURS:
            raise ValueError(f"unknown status colour {colour!r} (one of {sorted(STATUS_COLOURS)})")
        mapping[value] = colour

    def show(*args):
        obj = args[-1]  # a module-level column gets (obj); a method gets (self, obj)
        value = getattr(obj, field)
        display = getattr(obj, f"get_{field}_display", None)
        text = display() if display is not None else value
        return (value, text) if value not in (None, "") else None

    show.__name__ = f"{field}_status"
    show.status_field = field
    return unfold_display(show, description=description, ordering=field, label=mapping)


def _name_status_columns(model_admin) -> None:
    """Title each :func:`status_display` column with its field's ``verbose_name``."""
    for entry in model_admin.list_display:
        column = entry if callable(entry) else getattr(model_admin, str(entry), None)
        column = getattr(column, "__func__", column)
        field = getattr(column, "status_field", None)
        if field is None or getattr(column, "short_description", None):
            continue
        try:
            column.short_description = model_admin.model._meta.get_field(field).verbose_name
        except FieldDoesNotExist:
            continue


# --- third-party models in Chinese ----------------------------------------------------------


def relabel(model, *, verbose_name=None, verbose_name_plural=None, fields=None) -> None:
    """Give a third-party model (one whose code we do not own) Chinese labels.

    For models that name themselves in plain English strings, which no catalog can
    translate (django-guardian's ``UserObjectPermission``, a django-celery-beat
    field). Our own models declare ``verbose_name`` with gettext instead.
    """
    opts = model._meta
    if verbose_name is not None:
        opts.verbose_name = verbose_name
    if verbose_name_plural is not None:
        opts.verbose_name_plural = verbose_name_plural
    for name, label in (fields or {}).items():
        field = opts.get_field(name) if name != "content_object" else _private_field(opts, name)
        field.verbose_name = label


def _private_field(opts, name):
    for field in opts.private_fields:
        if field.name == name:
            return field
    raise FieldDoesNotExist(name)


def relabel_third_party_models() -> None:
    """Chinese labels for the third-party models our admin shows (called once, at start)."""
    from django_celery_beat import admin as beat_admin
    from django_celery_beat.models import CrontabSchedule, PeriodicTask
    from guardian.models import UserObjectPermission

    relabel(
        UserObjectPermission,
        verbose_name=_("object grant"),
        verbose_name_plural=_("object grants"),
        fields={
            "user": _("staff"),
            "permission": _("permission"),
            "content_type": _("object type"),
            "object_pk": _("object ID"),
            "content_object": _("object"),
        },
    )
    relabel(PeriodicTask, fields={"task": _("task")})
    beat_admin.PeriodicTaskAdmin.crontab_translation.short_description = _("schedule in words")
    CrontabSchedule.human_readable.fget.short_description = _("schedule in words")


class WorkflowDialogForm(BaseDialogForm):
    """The confirmation dialog of a workflow button (no input)."""


class WorkflowReasonForm(BaseDialogForm):
    """The dialog of a workflow button that needs a reason (reject, return, refuse)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("A reason is required."))
        return reason


@dataclass(frozen=True)
class WorkflowSpec:
    name: str
    permission: str | tuple[str, ...] | None
    when: Callable | None
    reason: bool
    success: object

    def allowed(self, model_admin, request, obj) -> bool:
        if self.permission:
            wanted = (self.permission,) if isinstance(self.permission, str) else self.permission
            if not any(request.user.has_perm(perm) for perm in wanted):
                return False
        if not model_admin.has_view_permission(request, obj):
            return False
        if self.when is None:
            return True
        # ``when(obj)``, or ``when(obj, user)`` for steps that depend on who asks
        # (not the requester's own request, not an approval already given).
        if _positional_count(self.when) >= 2:
            return bool(self.when(obj, request.user))
        return bool(self.when(obj))


def _positional_count(func) -> int:
    """How many positional arguments ``func`` takes (a lambda, a function, a partial)."""
    import inspect

    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in kinds for p in inspect.signature(func).parameters.values())


def _dialog_error(form, error: ApplicationError, default_field: str | None) -> None:
    """Show a service's refusal in the dialog: on the fields it names, else as a whole."""
    placed = False
    for name, problems in (error.fields or {}).items():
        if name in form.fields:
            problems = problems if isinstance(problems, list | tuple) else [problems]
            for problem in problems:
                form.add_error(name, str(problem))
            placed = True
    if not placed:
        form.add_error(default_field if default_field in form.fields else None, error.message)


def _workflow_of(method) -> WorkflowSpec | None:
    return getattr(method, "workflow", None)


def workflow_action(
    *,
    description,
    permission: str | tuple[str, ...] | None = None,
    when: Callable | None = None,
    reason: bool = False,
    confirm=None,
    success=None,
    variant: ActionVariant = ActionVariant.PRIMARY,
    icon: str | None = None,
    form_class: type[BaseDialogForm] | None = None,
):
    """A workflow step as a button on the change page (list the method in ``actions_detail``).

    The decorated method is ``(self, request, obj, **kw)`` and calls the app's service
    (the one the API calls) with ``actor=request.user``; ``kw`` is ``reason=…`` when
    ``reason=True``. A step that needs more input (an amount and a reason) passes
    ``form_class=`` (a ``BaseDialogForm`` subclass): the dialog shows that form and
    ``kw`` is its ``cleaned_data`` (without the theme's ``_`` fields); a refusal
    naming fields (``error.fields``) is shown on those fields of the form. The button
    shows only to readers with ``permission`` (an ``app.codename``, or a tuple of which
    any one will do) who can see the object (the scoped ``get_object``) while
    ``when(obj)`` — or ``when(obj, user)`` — holds. Pressing it opens a dialog
    (confirmation text, or a reason box); only its POST runs the step. A domain error
    (``ApplicationError``) is shown in the dialog and nothing is written; success is a
    message on the change page.
    """

    def decorator(func):
        spec = WorkflowSpec(func.__name__, permission, when, reason, success)

        def view(model_admin, request, form, object_id):
            obj = model_admin.get_object(request, unquote(object_id))
            if obj is None:
                raise Http404
            if not spec.allowed(model_admin, request, obj):
                raise PermissionDenied
            if form_class is not None:
                # The theme's own hidden fields (``_form_submitted``) are not input.
                kwargs = {k: v for k, v in form.cleaned_data.items() if not k.startswith("_")}
            else:
                kwargs = {"reason": form.cleaned_data["reason"]} if reason else {}
            try:
                with transaction.atomic():
                    func(model_admin, request, obj, **kwargs)
            except ApplicationError as exc:
                _dialog_error(form, exc, "reason" if reason else None)
                return render(
                    request,
                    "admin/mall/workflow_dialog.html",
                    {
                        "dialog": dialog,
                        "form": form,
                        "form_submit_text": dialog["form_submit_text"],
                    },
                )
            model_admin.message_user(
                request,
                str(success or _("%(action)s: done.") % {"action": description}),
                level=messages.SUCCESS,
            )
            url = reverse(
                f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change",
                args=(quote(obj.pk),),
                current_app=model_admin.admin_site.name,
            )
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return HttpResponseRedirect(url)

        view.__name__ = func.__name__
        view.__qualname__ = func.__qualname__
        dialog = {
            "title": description,
            "description": confirm or "",
            "form_class": form_class or (WorkflowReasonForm if reason else WorkflowDialogForm),
            "form_submit_text": description,
        }
        wrapped = unfold_action(
            view,
            description=description,
            url_path=func.__name__.replace("_", "-"),
            variant=variant,
            icon=icon,
            dialog=dialog,
        )
        wrapped.workflow = spec
        return wrapped

    return decorator


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


def admin_pii_value(obj, field: str, kind: str):
    """``obj.field`` as the page being rendered may show it (masked, or plaintext that
    the page's ``pii.reveal`` entry records) — for inlines of a :class:`PiiAdminMixin`."""
    policy = _admin_pii_policy.get() or PiiPolicy(None)
    return policy.value(obj, field, getattr(obj, field, ""), kind)


def admin_person(user) -> str:
    """A staff member on an admin page: "刘运营（ops_lead）".

    The name is masked ("刘**（ops_lead）") unless the page's PII policy reveals it — a
    :class:`PiiAdminMixin` page for a reader with the PII permission, where the reveal
    is recorded like any other — so naming a person in a list is never a side channel
    around the staff list's masking. No name set: the login alone.
    """
    if user is None:
        return "—"
    name = full_name(user.first_name, user.last_name)
    if not name:
        return user.get_username()
    policy = _admin_pii_policy.get() or PiiPolicy(None)
    shown = policy.value(user, "first_name", name, "name")
    return f"{shown}（{user.get_username()}）"


def person_column(path: str, description, *, account: bool = False):
    """A list or read-only column naming the staff member at ``path`` (``"changed_by"``,
    ``"user"``, ``"role__department__head"``).

    Business pages name the person (``person_name``: "刘运营"); pages about accounts
    (roles, grants, assignments: ``account=True``) name the account too, with the name
    masked as the staff list masks it (:func:`admin_person`).
    """

    def column(*args):
        # ``(obj)`` as a list_display callable, ``(admin, obj)`` as an admin attribute.
        target = args[-1]
        for part in path.split("__"):
            target = getattr(target, part, None)
            if target is None:
                break
        if account:
            return admin_person(target)
        return person_name(target) if target is not None else "—"

    column.short_description = description
    column.admin_order_field = path
    column.__name__ = f"person_{path}"
    return column


def _masked_column(field: str, kind: str, description):
    def column(obj):
        return admin_pii_value(obj, field, kind)

    column.short_description = description
    column.admin_order_field = None
    return column


class PiiAdminMixin:
    """Mask personal data on the changelist and change form; audit unmasked reads.

    ``pii_fields = {"phone": "phone", "name": "name"}`` maps model fields to masker
    kinds (phone, name, id_number, address). Use ``masked_<field>`` in
    ``list_display``; ``pii_labels`` titles the columns of fields that are model
    properties (encrypted columns). On the change form, a reader without the PII permission sees
    the masked value read-only instead of the field; a reader with it sees the field,
    and the reveal is audited (``pii.reveal``) once the page is rendered.
    """

    pii_fields: dict[str, str] = {}
    pii_labels: dict = {}  # column titles of pii_fields that are properties, not fields
    pii_permission = PII_PERMISSION

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, kind in self.pii_fields.items():
            try:
                verbose = self.model._meta.get_field(field).verbose_name
            except FieldDoesNotExist:  # a property, e.g. over an encrypted column
                verbose = self.pii_labels.get(field, field)
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
            fields = [f"masked_{f}" if f in self.pii_fields else f for f in fields]
            fields += [f"masked_{f}" for f in self.pii_fields if f"masked_{f}" not in fields]
        else:
            # A masked_ column shows plaintext to this reader (and records it); it gives
            # way to the field itself when the field is on the form too.
            fields = [f for f in fields if not (f.startswith("masked_") and f[7:] in fields)]
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
