"""Middleware for the ERC API: the error contract holds for every response under its prefix."""

from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from orders.api import errors

API_PREFIX = "/erc/ecommerce"
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


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
        return api_headers(response)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        return crash_response(request, exception)


def api_headers(response: HttpResponse) -> HttpResponse:
    """The headers every answer under the API prefix carries."""
    response["Cache-Control"] = "no-store"
    # JSON is never rendered or framed; the browser-only CSP/X-Frame middleware is skipped
    # here (ercdash/browser_middleware.py), so the API sets its own constant policy.
    response.headers.setdefault("Content-Security-Policy", API_CSP)
    response["X-Frame-Options"] = "DENY"
    return response


def crash_response(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The answer to an unexpected exception: logged, then 503 when the database is
    unreachable, else 500, with nothing internal in either."""
    errors.log_crash(request, exception)
    if isinstance(exception, OperationalError | InterfaceError) or (
        isinstance(exception, DatabaseError) and "connect" in str(exception).lower()
    ):
        return errors.service_unavailable()
    return errors.generic_error_response(500)
