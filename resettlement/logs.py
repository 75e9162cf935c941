"""Logs: plain lines on a developer's terminal; in production (LOG_FORMAT=json) one JSON object
per line, for a log collector to index.

Every request gets an id: the caller's X-Request-ID when it sends a sensible one (a proxy in
front, another service), otherwise a new one. It is sent back in the response's X-Request-ID
header, added to every log record written while the request is handled, and written with the
user, path, status and duration in one access record per request (logger
"resettlement.access"). Celery tasks add their task id and name to their records the same
way (see resettlement.celery).

The access record holds the path without its query string: search boxes put names and ID
numbers there, and logs are not the place for them.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject

REQUEST_ID_HEADER = "X-Request-ID"
# Accept the caller's id only if it is short and plain: it is copied into logs and headers.
_ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

# Never mutated: each block sets a new dict (a shared mutable default would leak fields).
_context: ContextVar[dict[str, object]] = ContextVar("log_context")

access_log = logging.getLogger("resettlement.access")


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add `fields` to every record logged inside the block (this thread or task only)."""
    token = _context.set({**_context.get({}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copies the current request or task fields onto each record its handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get({}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: `log_format` is "json" or anything else for plain lines."""
    formatter = "json" if log_format.strip().lower() == "json" else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "resettlement.logs.ContextFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["asctime", "levelname", "name", "message"],
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                "json_ensure_ascii": False,
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def _request_id(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _ACCEPTED_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    # Only a user the request already loaded (every staff page does): the access record must
    # not cost a session and a user query on pages that never looked. Django's middleware
    # leaves a lazy user that caches itself in `_cached_user` once read; the API (DRF)
    # authenticates in the view and puts the user it found on the request in its place.
    user = request.__dict__.get("user")
    if user is None or isinstance(user, LazyObject):
        user = getattr(request, "_cached_user", None)
    if user is None or not user.is_authenticated:
        return None
    return user.pk


class RequestLogMiddleware:
    """First in MIDDLEWARE, so the duration covers the whole stack and every response,
    redirects and refusals included, carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id(request)
        request.request_id = request_id
        started = time.perf_counter()
        with log_context(request_id=request_id):
            response = self.get_response(request)
            response.headers[REQUEST_ID_HEADER] = request_id
            status = response.status_code
            access_log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
        return response
