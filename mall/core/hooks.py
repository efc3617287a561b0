"""Named extension points between apps: an app below offers, an app above provides.

DESIGN.md §3: an app imports only from apps above it. When a lower app's screen needs
something only a higher app knows (catalog's product list shows sellable stock from
dispatch; the member 360° page shows orders and after-sales once those apps exist),
the lower app names a hook and calls :func:`call_providers`; the higher app registers
a provider from its ``AppConfig.ready`` with :func:`provide`. Each hook's contract
(arguments, return value) is documented where it is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_providers: dict[str, dict[str, Callable]] = {}


def provide(hook: str, key: str, func: Callable) -> None:
    """Register ``func`` under ``hook`` (``key`` names the provider; registering again replaces)."""
    _providers.setdefault(hook, {})[key] = func


def providers(hook: str) -> list[Callable]:
    """The providers of ``hook`` in registration order."""
    return list(_providers.get(hook, {}).values())


def call_providers(hook: str, **kwargs: Any) -> list[Any]:
    """Call every provider of ``hook`` with ``kwargs``; return their results in order."""
    return [func(**kwargs) for func in providers(hook)]
