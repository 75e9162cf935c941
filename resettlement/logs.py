"""Logs: plain lines on a developer's terminal; in production (LOG_FORMAT=json) one JSON object
per line, for a log collector to index.

Every request gets an id: the caller's X-Request-ID when it sends a sensible one (a proxy in
front, another service), otherwise a new one. It is sent back in the response's X-Request-ID
header, added to every log record written while the request is handled, and written with the
user, path, status and duration in one access record per request (logger
"resettlement.access"). Celery tasks add their task id and name to their records the same
way (see resettlement.celery).

The access record holds the path without its query string: search boxes put names and ID
numbers there, and logs are not the place for them. A household's lookup code is a bearer
secret (whoever has it reads the household's page), and two public paths carry it —
/public/my/<code>/ and /public/aftercare/<code>/…: every record has it replaced by a short
keyed hash, "code~" and the first 10 hex digits of HMAC-SHA256(SECRET_KEY, code) — the same
code always gives the same mark, so a burst of requests for one code can still be seen,
but the log cannot be turned back into codes (`loggable_path`, `SecretPathFilter`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
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


# The public paths whose next segment is a household's lookup code; a segment that is
# already a mark is left alone (a mark reads as 14 characters, so it is never a code).
_SECRET_IN_PATH = re.compile(
    r"(/public/(?:my|aftercare)/)(?!code~[0-9a-f]{10}(?:[/?#\s'\"]|$))([^/?#\s'\"]+)"
)


def code_mark(code: str) -> str:
    """A lookup code as the logs show it: "code~" and 10 hex digits of its keyed hash.
    Codes are compared as the site reads them (full-width, case and dashes do not matter)."""
    text = unicodedata.normalize("NFKC", code).upper()
    normal = "".join(ch for ch in text if ch.isalnum())
    digest = hmac.new(settings.SECRET_KEY.encode(), normal.encode(), hashlib.sha256)
    return "code~" + digest.hexdigest()[:10]


def loggable_path(text: str) -> str:
    """`text` (a path, or a message quoting one) with every lookup code in it replaced by
    its mark."""
    return _SECRET_IN_PATH.sub(lambda m: m.group(1) + code_mark(m.group(2)), text)


class SecretPathFilter(logging.Filter):
    """On the handler: no record leaves with a lookup code in it — Django's own "Not Found:
    /public/aftercare/<code>/" and "Too Many Requests: …" lines included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = loggable_path(message)
        if safe != message:
            record.msg, record.args = safe, None
        # django.request attaches the request, which a JSON formatter would print with its
        # path; the development server attaches its socket (its message is redacted above).
        path = getattr(getattr(record, "request", None), "path", None)
        if isinstance(path, str):
            record.request = loggable_path(f"{getattr(record.request, 'method', '')} {path}")
        return True


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
        "filters": {
            "context": {"()": "resettlement.logs.ContextFilter"},
            "secrets": {"()": "resettlement.logs.SecretPathFilter"},
        },
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
                "filters": ["context", "secrets"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own loggers write through the handler above, not through the console
            # Django adds with DEBUG on: its lines ("Not Found: /public/aftercare/<code>/")
            # would skip the filters.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
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
            path = loggable_path(request.path)
            access_log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %s",
                request.method,
                path,
                status,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
        return response
