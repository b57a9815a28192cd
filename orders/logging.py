"""Request id plumbing and structured logs: one JSON object per line, nothing secret in it."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# Fields an access line (or any record) may carry through `extra=`; everything else a
# record holds (args, pathname, ...) stays out of the JSON.
CONTEXT_FIELDS = ("client_id", "method", "path", "status", "duration_ms")

# Defence in depth: callers never log bodies, query strings or headers, but a card number
# typed into a path or an exception message must still not reach the log store.
_CARD_DIGITS_RE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
_BEARER_RE = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_TOKEN_PARAM_RE = re.compile(r"(?i)\b(access_token|client_secret|password)=[^&\s]+")
# Cheap first passes: every access line goes through redact(), and the exact patterns above
# cost ~10x more than these scans. Each is a superset of what its exact pattern matches.
_DIGIT_RUN_RE = re.compile(r"[0-9][0-9 -]{11,}[0-9]")
_BEARER_WORD_RE = re.compile(r"(?i)bearer")


def redact(text: str) -> str:
    """The text with card-number-like digit runs and credentials replaced."""
    if _DIGIT_RUN_RE.search(text):
        text = _CARD_DIGITS_RE.sub("[redacted]", text)
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
