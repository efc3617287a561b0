"""gunicorn settings of the web container (``gunicorn -c deploy/gunicorn.conf.py``).

Access log on stdout (JSON when ``LOG_FORMAT=json``, with the request id), workers
recycled after ``GUNICORN_MAX_REQUESTS`` requests (jittered so they do not all restart
at once) to cap slow memory growth, and the bookkeeping Prometheus' multi-process
mode needs (docs/DEPLOY.md "Metrics").
"""

import os

from mall.core import logs, metrics

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# Only nginx reaches gunicorn (the port is not published), so its X-Forwarded-* are trusted.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# Load Django once in the master: workers (and recycled ones) fork ready to serve.
preload_app = True
# No gunicornc control socket: nothing uses it, and the image's user has no home.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
logger_class = logs.GunicornLogger


def on_starting(server):
    # Files left by a previous run of this container would be summed into the new one.
    metrics.multiprocess_dir_reset()


def child_exit(server, worker):
    # Fold the recycled worker's counters into one archive file, so the directory does
    # not grow by two files per recycled worker and counters never go backwards.
    metrics.multiprocess_archive_dead_worker(worker.pid)
