"""The admin sidebar: grouped by work (工作台, 商品, 订单, …), not by app.

Each model admin names its group with ``nav_group`` (a key of :data:`GROUPS`) and may
set ``nav_order`` (smaller first) and ``nav_icon`` (a Material Symbols name). An admin
that names none falls into its app's default group (:data:`APP_GROUPS`). A reader sees
only the entries whose admin lets them view (``has_view_or_change_permission`` — the
same check the page itself makes), and a group with no entry is not shown: 订单 appears
once the orders app registers its admins, for those who may open them.

Extra entries that are not a model admin (the workbench itself, pages of ``ops``) are
registered with :func:`register_link`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import pgettext_lazy

# (key, title, icon) in sidebar order.
GROUPS: list[tuple[str, object, str]] = [
    ("workbench", pgettext_lazy("admin navigation", "Workbench"), "space_dashboard"),
    ("catalog", pgettext_lazy("admin navigation", "Products"), "inventory_2"),
    ("orders", pgettext_lazy("admin navigation", "Orders"), "receipt_long"),
    ("stock", pgettext_lazy("admin navigation", "Stock and logistics"), "local_shipping"),
    ("members", pgettext_lazy("admin navigation", "Members"), "group"),
    ("service", pgettext_lazy("admin navigation", "Customer service"), "support_agent"),
    ("marketing", pgettext_lazy("admin navigation", "Marketing"), "campaign"),
    ("finance", pgettext_lazy("admin navigation", "Finance"), "account_balance_wallet"),
    ("risk", pgettext_lazy("admin navigation", "Risk"), "gpp_maybe"),
    ("reports", pgettext_lazy("admin navigation", "Data and reports"), "monitoring"),
    ("rbac", pgettext_lazy("admin navigation", "Permissions"), "admin_panel_settings"),
    ("system", pgettext_lazy("admin navigation", "System"), "settings"),
]
GROUP_KEYS = frozenset(key for key, _title, _icon in GROUPS)

# Where an admin goes when it names no group: its app's group.
APP_GROUPS: dict[str, str] = {
    "catalog": "catalog",
    "dispatch": "stock",
    "members": "members",
    "orders": "orders",
    "payments": "finance",
    "risk": "risk",
    "backups": "system",
    "reports": "reports",
    "monitoring": "system",
    "tickets": "service",
    "rbac": "rbac",
    "auth": "rbac",
    "guardian": "rbac",
    "ops": "system",
    "core": "system",
    "django_celery_beat": "system",
}


@dataclass(frozen=True)
class Link:
    """A sidebar entry that is not a model admin (a custom admin page)."""

    group: str
    title: object
    url_name: str
    icon: str = "chevron_right"
    order: int = 100
    # ``(request) -> bool``: who sees the entry (the page checks again on its own).
    visible: Callable = lambda request: True


_links: list[Link] = []


def register_link(link: Link) -> None:
    if link.group not in GROUP_KEYS:
        raise ValueError(f"unknown admin navigation group {link.group!r}")
    _links[:] = [item for item in _links if item.url_name != link.url_name] + [link]


def group_of(model_admin) -> str:
    group = getattr(model_admin, "nav_group", None)
    if group:
        return group
    return APP_GROUPS.get(model_admin.model._meta.app_label, "system")


def _model_entries(request) -> dict[str, list[tuple[int, str, dict]]]:
    entries: dict[str, list[tuple[int, str, dict]]] = {key: [] for key in GROUP_KEYS}
    for model, model_admin in admin.site._registry.items():
        if getattr(model_admin, "nav_hidden", False):
            continue
        if not model_admin.has_view_or_change_permission(request):
            continue
        opts = model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        title = str(opts.verbose_name_plural)
        item = {
            "title": title,
            "icon": getattr(model_admin, "nav_icon", None) or "chevron_right",
            "link": url,
        }
        entries[group_of(model_admin)].append((getattr(model_admin, "nav_order", 100), title, item))
    for link in _links:
        if not link.visible(request):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue
        item = {"title": str(link.title), "icon": link.icon, "link": url}
        entries[link.group].append((link.order, str(link.title), item))
    return entries


def sidebar(request) -> list[dict]:
    """Unfold's ``SIDEBAR["navigation"]``: the groups this reader has entries in."""
    if not (request.user.is_authenticated and request.user.is_active and request.user.is_staff):
        return []
    entries = _model_entries(request)
    groups = []
    for key, title, _icon in GROUPS:
        items = sorted(entries[key], key=lambda entry: (entry[0], entry[1]))
        if not items:
            continue
        groups.append(
            {
                "title": title,
                "separator": True,
                "collapsible": False,
                "items": [i for *_r, i in items],
            }
        )
    return groups
