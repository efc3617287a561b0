"""Risk admin (风控): cases, events, marks, blacklist, fund freezes.

Every screen reads through ``risk.selectors`` (scoped) and every step is a
``@workflow_action`` button calling the same service as the API. One module per area;
importing them registers the screens.
"""

from . import blacklist, cases, events, freezes, marks  # noqa: F401
