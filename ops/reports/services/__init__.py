"""Services of the reports app: generating, downloading and purging reports; subscriptions."""

from .archive import (  # noqa: F401
    report_archives_purge,
    report_download,
    report_generate,
    report_generate_latest,
)
from .subscriptions import subscription_create, subscription_delete  # noqa: F401
