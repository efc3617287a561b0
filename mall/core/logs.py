"""Structured logs: a JSON formatter, the request id carried into Celery tasks, gunicorn.

``LOG_FORMAT=json`` (the default with ``DJANGO_SECURE=1``) writes one JSON object per
line with the request id, and inside a Celery task the task's name and id; ``plain``
keeps the readable one-line format for development and the demo. The request id a
request was given (mall/core/middleware.py) travels in the headers of every task it
enqueues, so the task's log lines and audit entries carry the same id.
"""

from __future__ import annotations

import json
import logging
from contextvars import Token
from datetime import UTC, datetime

from gunicorn import glogging

from .context import request_id_var

REQUEST_ID_HEADER = "mall_request_id"

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def _current_task():
    from celery import current_task

    return current_task if current_task else None


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, request id.

    Fields passed with ``extra=`` are kept; values JSON cannot encode are written as
    their ``str()``. Exceptions go in ``exception`` as the formatted traceback.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get() or None,
        }
        task = _current_task()
        if task is not None:
            entry["task"] = task.name
            entry["task_id"] = task.request.id
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# --- the request id in Celery tasks -------------------------------------------------------
_task_tokens: dict[str, Token] = {}


def task_publish_add_request_id(sender=None, headers=None, **kwargs) -> None:
    """``before_task_publish``: put the current request id in the task's headers."""
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


def task_prerun_restore_request_id(task_id=None, task=None, **kwargs) -> None:
    """``task_prerun``: run the task under the request id it was enqueued with.

    An eager task runs inside the request and already has it; a task enqueued by beat
    or by another job has none and keeps the empty id.
    """
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) if task is not None else None
    if request_id and task_id:
        _task_tokens[task_id] = request_id_var.set(str(request_id)[:64])


def task_postrun_clear_request_id(task_id=None, **kwargs) -> None:
    """``task_postrun``: leave the worker's context as it was before the task."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        request_id_var.reset(token)


def connect_celery_signals() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(task_publish_add_request_id, weak=False)
    task_prerun.connect(task_prerun_restore_request_id, weak=False)
    task_postrun.connect(task_postrun_clear_request_id, weak=False)


# --- gunicorn's access log ------------------------------------------------------------------
class GunicornLogger(glogging.Logger):
    """gunicorn's logger with an access line that carries the request id.

    JSON (one object per request) when ``LOG_FORMAT=json``, otherwise gunicorn's
    combined format followed by the request id and the forwarded client address.
    """

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        from django.conf import settings

        if settings.LOG_FORMAT != "json":
            line = '{h} "{r}" {s} {b} {M}ms "{a}" client={client} request_id={rid}'.format(
                **{k: atoms.get(k, "-") for k in ("h", "r", "s", "b", "M", "a")},
                client=atoms.get("{x-forwarded-for}i", "-"),
                rid=atoms.get("{x-request-id}o", "-"),
            )
            self.access_log.info(line)
            return
        entry = {
            "time": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": atoms.get("{x-request-id}o"),
            "method": atoms.get("m"),
            "path": atoms.get("U"),
            "query": atoms.get("q") or None,
            "status": int(atoms["s"]) if str(atoms.get("s", "")).isdigit() else atoms.get("s"),
            "bytes": atoms.get("B"),
            "duration_ms": atoms.get("M"),
            "remote_addr": atoms.get("h"),
            "forwarded_for": atoms.get("{x-forwarded-for}i"),
            "user_agent": atoms.get("a"),
        }
        self.access_log.info(json.dumps(entry, ensure_ascii=False, default=str))
