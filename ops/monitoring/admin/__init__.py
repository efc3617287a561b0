"""Monitoring admin (系统 group): alert rules, alerts, metric readings, incidents,
announcements.

Every screen reads through ``ops.monitoring.selectors`` and every write calls a service;
incident steps are ``@workflow_action`` buttons. Importing the modules registers them.
"""

from . import alerts, announcements, incidents  # noqa: F401
