"""The Celery application: configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

from mall.core import logs, metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")

app = Celery("mall")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels with each task into its logs and audit entries; task outcomes
# are counted for /metrics (mall/core/logs.py, mall/core/metrics.py).
logs.connect_celery_signals()
metrics.connect_celery_signals()


# Queues (DESIGN.md §6) are named in each task's decorator: ``queue="realtime"`` for
# timers and callbacks, ``queue="heavy"`` for reconciliation, exports, RFM and
# backups, the default queue for the rest.
