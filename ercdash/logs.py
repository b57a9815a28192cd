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
# A cheap first pass: every access line goes through redact().
_BEARER_WORD_RE = re.compile(r"(?i)bearer")


def redact(text: str) -> str:
    """The text with 13-19 digit numbers (whatever separates their digits) and credentials
    replaced."""
    text = cards.redact(text, luhn=False)
    # The first pass as a plain substring test: no other character lowercases to these.
    if "bearer" in text.lower() and _BEARER_WORD_RE.search(text):
        text = _BEARER_RE.sub(r"\1 [redacted]", text)
    if "=" in text:
        text = _TOKEN_PARAM_RE.sub(r"\1=[redacted]", text)
    return text


class RedactFilter(logging.Filter):
    """Redacts a record before any formatter sees it: the JSON lines, LOG_FORMAT=plain and
    gunicorn's own logs alike.

    The message is rendered and redacted once (its arguments dropped), the traceback is
    rendered into exc_text and redacted, and so are the context fields.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "redacted", False):
            return True  # a second handler of the same record
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, redact(value))
        record.redacted = True
        return True


_formatter = logging.Formatter()


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
    """One JSON object per line: time, level, logger, message, request id and context.

    Redaction is RedactFilter's job, on the handler, so that every format gets it.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or record_request_id(record),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None and value != "":
                entry[name] = value
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        elif record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
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
        # The id is logged, stored in audit rows and echoed: one holding a card number is
        # replaced like any other unusable value.
        request_id = (
            incoming
            if _SAFE_REQUEST_ID.match(incoming) and not cards.contains_full_card_number(incoming)
            else uuid.uuid4().hex
        )
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if request.path not in QUIET_PATHS and access_log.isEnabledFor(logging.INFO):
                # What access_log.info() does, less its walk up the stack for the caller's
                # file and line, which no format of ours prints.
                # The path only: query strings may hold search terms (emails, phones).
                access_log.handle(
                    access_log.makeRecord(
                        access_log.name,
                        logging.INFO,
                        __file__,
                        0,
                        "%s %s %s",
                        (request.method, request.path, response.status_code),
                        None,
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
                )
            return response
        finally:
            request_id_var.reset(token)
