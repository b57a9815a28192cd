"""Request id plumbing and structured logs: one JSON object per line, nothing secret in it."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson
from django.http import HttpRequest, HttpResponse

from orders.rules import cards

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# Fields an access line (or any record) may carry through `extra=`; everything else a
# record holds (args, pathname, ...) stays out of the JSON.
CONTEXT_FIELDS = ("client_id", "method", "path", "status", "duration_ms")

# Defence in depth: callers never log bodies, query strings or headers, but a card number
# typed into a path or an exception message must still not reach the log store.
_BEARER_RE = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_TOKEN_PARAM_RE = re.compile(r"(?i)\b(access_token|client_secret|password)=[^&\s]+")
# Cheap first passes: every access line goes through redact(), and the exact patterns above
# cost ~10x more than these scans. Each is a superset of what its exact pattern matches.
_BEARER_WORD_RE = re.compile(r"(?i)bearer")


def redact(text: str) -> str:
    """The text with full card numbers and credentials replaced."""
    text = cards.redact(text)  # the same detection as every input of order data
    if _BEARER_WORD_RE.search(text):
        text = _BEARER_RE.sub(r"\1 [redacted]", text)
    if "=" in text:
        text = _TOKEN_PARAM_RE.sub(r"\1=[redacted]", text)
    return text


def record_request_id(record: logging.LogRecord) -> str:
    # django.request logs a 5xx after the middleware has finished (and reset the context
    # variable), but it passes the request along.
    request = getattr(record, "request", None)
    return getattr(request, "request_id", None) or request_id_var.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = record_request_id(record)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and context."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or record_request_id(record),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None and value != "":
                entry[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc_info"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc_info"] = redact(record.exc_text)
        return orjson.dumps(entry, default=str).decode()


_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
access_log = logging.getLogger("ercdash.access")
# Load-balancer probes every few seconds would drown the access log.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class RequestIdMiddleware:
    """Echo a sane X-Request-ID (or make one), expose it to logs, and log one line per request.

    The access line is structured (see ercdash.logs.JsonFormatter): request id, client id,
    method, path, status and duration; never headers, query strings or bodies.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if request.path not in QUIET_PATHS:
                # The path only: query strings may hold search terms (emails, phones).
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "client_id": getattr(
                            getattr(request, "api_client", None), "client_id", None
                        ),
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)
