"""System parameters (系统参数): typed business settings with defaults in code.

Any app registers its parameters once (module level of its ``parameters.py`` or in
``AppConfig.ready()``) and reads them through :func:`get_parameter`::

    register_parameter("orders.unpaid_timeout_minutes", kind=INT, default=30,
                       description=_("Unpaid orders are cancelled after (minutes)"), minimum=5)
    get_parameter("orders.unpaid_timeout_minutes")  # → 30, or the approved value

A value changes only through an approved change request
(``ops.services.parameters.parameter_change_request`` → two approvals → applied atomically,
audited). Reads are cached for ``CACHE_SECONDS`` and the cache is cleared on change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

BOOL, INT, DECIMAL, STR, LIST = "bool", "int", "decimal", "str", "list"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    kind: str
    default: Any
    description: str
    minimum: Any = None
    maximum: Any = None

    def coerce(self, raw: Any) -> Any:
        """Return ``raw`` as this parameter's type; raise ``ValueError`` when it is not."""
        if self.kind == BOOL:
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(raw).lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"{self.key}: not a yes/no value")
        if self.kind == INT:
            if isinstance(raw, bool):
                raise ValueError(f"{self.key}: not a whole number")
            try:
                value = int(str(raw).strip())
            except ValueError as exc:
                raise ValueError(f"{self.key}: not a whole number") from exc
        elif self.kind == DECIMAL:
            try:
                value = Decimal(str(raw).strip())
            except InvalidOperation as exc:
                raise ValueError(f"{self.key}: not a number") from exc
            if not value.is_finite():
                raise ValueError(f"{self.key}: not a number")
        elif self.kind == STR:
            value = str(raw)
        elif self.kind == LIST:
            if isinstance(raw, str):
                raw = [item.strip() for item in raw.replace("，", ",").split(",")]
            if not isinstance(raw, list | tuple):
                raise ValueError(f"{self.key}: not a list")
            return [str(item) for item in raw if str(item).strip()]
        else:  # pragma: no cover - registration refuses unknown kinds
            raise ValueError(self.kind)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{self.key}: must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{self.key}: must be at most {self.maximum}")
        return value

    def to_json(self, value: Any) -> Any:
        return str(value) if self.kind == DECIMAL else value


_specs: dict[str, ParameterSpec] = {}


def register_parameter(
    key: str,
    *,
    kind: str,
    default: Any,
    description: str,
    minimum: Any = None,
    maximum: Any = None,
) -> ParameterSpec:
    if kind not in {BOOL, INT, DECIMAL, STR, LIST}:
        raise ValueError(f"unknown parameter kind {kind!r}")
    spec = ParameterSpec(key, kind, default, description, minimum, maximum)
    spec.coerce(default)  # a default must satisfy its own rules
    _specs[key] = spec
    return spec


def parameter_spec(key: str) -> ParameterSpec:
    try:
        return _specs[key]
    except KeyError:
        raise KeyError(f"unknown system parameter {key!r}") from None


def registered_parameters() -> dict[str, ParameterSpec]:
    return dict(sorted(_specs.items()))


def _cache_key(key: str) -> str:
    return f"sysparam:{key}"


def get_parameter(key: str) -> Any:
    """Return the parameter's current value (approved value, else the default)."""
    spec = parameter_spec(key)
    cached = cache.get(_cache_key(key))
    if cached is not None:
        return spec.coerce(cached["v"])
    from .models import SystemParameter

    row = SystemParameter.objects.filter(key=key).values_list("value", flat=True).first()
    raw = row if row is not None else spec.to_json(spec.default)
    try:
        value = spec.coerce(raw)
    except ValueError:
        # A value approved before the rules were tightened: every reader would fail,
        # so fall back to the default (valid by registration) and say so loudly.
        logger.warning("stored value of %s no longer valid (%r); using the default", key, raw)
        raw = spec.to_json(spec.default)
        value = spec.coerce(raw)
    cache.set(_cache_key(key), {"v": raw}, timeout=CACHE_SECONDS)
    return value


def get_parameters(keys: Iterable[str]) -> dict[str, Any]:
    """Several parameters' current values in one cache round trip (hot paths: risk rules).

    The same values as :func:`get_parameter` key by key; the keys not cached are read
    from the database in one query and cached.
    """
    keys = list(dict.fromkeys(keys))
    specs = {key: parameter_spec(key) for key in keys}
    cached = cache.get_many([_cache_key(key) for key in keys])
    values: dict[str, Any] = {}
    missing = []
    for key in keys:
        hit = cached.get(_cache_key(key))
        if hit is not None:
            values[key] = specs[key].coerce(hit["v"])
        else:
            missing.append(key)
    if missing:
        from .models import SystemParameter

        stored = dict(SystemParameter.objects.filter(key__in=missing).values_list("key", "value"))
        for key in missing:
            values[key] = get_parameter(key) if key in stored else _default_cached(key)
    return {key: values[key] for key in keys}


def _default_cached(key: str) -> Any:
    spec = parameter_spec(key)
    raw = spec.to_json(spec.default)
    cache.set(_cache_key(key), {"v": raw}, timeout=CACHE_SECONDS)
    return spec.coerce(raw)


def forget_cached(key: str) -> None:
    cache.delete(_cache_key(key))


# --- values as people read them -------------------------------------------------------

# A whole-number parameter's unit, from the end of its key (``…_timeout_minutes``).
_UNITS = {
    "_seconds": gettext_lazy("%(value)s seconds"),
    "_minutes": gettext_lazy("%(value)s minutes"),
    "_hours": gettext_lazy("%(value)s hours"),
    "_days": gettext_lazy("%(value)s days"),
    "_rows": gettext_lazy("%(value)s rows"),
    "_percent": gettext_lazy("%(value)s %%"),
}


def format_value(value: Any, *, unit_key: str = ""):
    """``value`` for a page: 是/否, lists as chips, numbers with the unit ``unit_key`` names.

    Returns safe HTML (chips) or text; ``None`` and empty values are "—".
    """
    from django.utils.html import format_html, format_html_join
    from django.utils.translation import gettext

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list | tuple):
        return format_html(
            '<span class="mall-chips">{}</span>',
            format_html_join(
                " ",
                '<span class="inline-block rounded-sm bg-base-100 px-2 py-0.5 text-xs '
                'dark:bg-base-800">{}</span>',
                ((item,) for item in value),
            ),
        )
    if isinstance(value, dict):
        return format_html_join(
            "", "<div>{}: {}</div>", ((key, format_value(item)) for key, item in value.items())
        )
    for suffix, template in _UNITS.items():
        if unit_key.endswith(suffix) and isinstance(value, int | str | Decimal):
            return str(template) % {"value": value}
    return str(value)


def parameter_label(key: str) -> str:
    """The description of a registered parameter (what people read instead of its key)."""
    spec = _specs.get(key)
    return str(spec.description) if spec is not None else key


def format_parameter_value(key: str, value: Any):
    """A parameter's value as people read it (booleans, lists, units from the key).

    List items that are permissions (``app.codename``) are shown by the permission's name.
    """
    spec = _specs.get(key)
    if spec is not None and spec.kind == BOOL and isinstance(value, str):
        value = value.lower() in {"true", "1", "yes"}
    if isinstance(value, list):
        value = [permission_label(item) if isinstance(item, str) else item for item in value]
    return format_value(value, unit_key=key)


def permission_label(code: str) -> str:
    """``"members.view_member_pii"`` → the permission's name in the reader's language;
    anything that is not a known permission is returned as it is."""
    from django.contrib.auth.models import Permission

    from mall.core.labels import permission_name

    app_label, dot, codename = code.partition(".")
    if not dot or not app_label or not codename:
        return code
    permission = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .select_related("content_type")
        .first()
    )
    if permission is None:
        return code
    return permission_name(permission)
