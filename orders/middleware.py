from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from orders import errors
from orders.logging import request_id_var

API_PREFIX = "/erc/ecommerce"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")

access_log = logging.getLogger("ercdash.access")
# Load-balancer probes every few seconds would drown the access log.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class RequestIdMiddleware:
    """Echo a sane X-Request-ID (or make one), expose it to logs, and log one line per request.

    The access line is structured (see orders.logging.JsonFormatter): request id, client id,
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


class ApiErrorMiddleware:
    """Under /erc/ecommerce: no-store caching, and no error leaves without the ERC body.

    Exceptions become 500 (or 503 when the database is unreachable) with nothing internal
    in them; any other non-JSON error response (a Django 400 for a bad Host, say) is
    replaced by the generic body for its status.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api_path(request.path):
            return response
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            headers = {
                name: response[name]
                for name in ("Allow", "Retry-After", "WWW-Authenticate")
                if response.has_header(name)
            }
            response = errors.generic_error_response(response.status_code, headers=headers)
        response["Cache-Control"] = "no-store"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        errors.log_crash(request, exception)
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connect" in str(exception).lower()
        ):
            return errors.service_unavailable()
        return errors.generic_error_response(500)
