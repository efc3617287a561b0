"""数据报表: the dashboard page, the report archive and report subscriptions."""

from . import archive, subscriptions  # noqa: F401 - registers the admins
