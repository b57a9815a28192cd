from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from orders import errors
from orders.console import TZ_COOKIE, agent_time_zone
from orders.logging import request_id_var

API_PREFIX = "/erc/ecommerce"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")

API_CSP = "default-src 'none'; frame-ancestors 'none'"

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
        # JSON is never rendered or framed; the browser-only CSP/X-Frame middleware is skipped
        # here (ercdash/browser_middleware.py), so the API sets its own constant policy.
        response.headers.setdefault("Content-Security-Policy", API_CSP)
        response["X-Frame-Options"] = "DENY"
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


def browser_only(middleware_class: type) -> type:
    """Subclass a middleware that serves people (sessions, CSRF, messages, CSP, login
    lockout…) so that requests to the stateless token API pass straight through it.

    The API authenticates every call with a bearer token and never uses sessions, cookies,
    CSRF, messages or templates; skipping that work is the biggest saving on its hot path.
    A subclass keeps Django's system checks (which look for these classes) satisfied.
    """

    class BrowserOnly(middleware_class):
        def __call__(self, request: HttpRequest) -> HttpResponse:
            if is_api_path(request.path_info):
                return self.get_response(request)
            return super().__call__(request)

        if hasattr(middleware_class, "process_view"):

            def process_view(self, request, view_func, view_args, view_kwargs):
                if is_api_path(request.path_info):
                    return None
                return super().process_view(request, view_func, view_args, view_kwargs)

        if hasattr(middleware_class, "process_exception"):

            def process_exception(self, request, exception):
                if is_api_path(request.path_info):
                    return None
                return super().process_exception(request, exception)

    BrowserOnly.__name__ = BrowserOnly.__qualname__ = middleware_class.__name__
    return BrowserOnly


class AgentTimeZoneMiddleware:
    """Console pages show times in the agent's zone: the `tz` cookie the console's script
    sets from the browser, else ERCDASH_AGENT_TIME_ZONE. The API always speaks UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_path(request.path):
            return self.get_response(request)
        timezone.activate(agent_time_zone(request.COOKIES.get(TZ_COOKIE)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


CONSOLE_PREFIXES = ("/agent/", "/accounts/")


class ConsoleFrameMiddleware:
    """The agent desktop may frame the console (and its login, 403 and 404 pages): CSP
    frame-ancestors from ERCDASH_FRAME_ANCESTORS and no X-Frame-Options there. Everything
    else keeps frame-ancestors 'none' and X-Frame-Options: DENY.

    Sits below CSPMiddleware and XFrameOptionsMiddleware so they see its marks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(CONSOLE_PREFIXES):
            ancestors = settings.ERCDASH_FRAME_ANCESTORS or ["'none'"]
            response._csp_replace = {"frame-ancestors": ancestors}
            response.xframe_options_exempt = True
        return response
