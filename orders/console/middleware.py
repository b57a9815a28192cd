"""Middleware for the agent console: the agent's time zone and formats, who may frame the
console, and access-audit rows written after the response."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from orders import services
from orders.console import locales
from orders.console.presenters import TZ_COOKIE, agent_time_zone


class AgentTimeZoneMiddleware:
    """Console pages show times in the agent's zone: the `tz` cookie the console's script
    sets from the browser, else ERCDASH_AGENT_TIME_ZONE. The API always speaks UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(agent_time_zone(request.COOKIES.get(TZ_COOKIE)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class AgentFormatsMiddleware:
    """Dates, times and money in the agent's conventions: the interface language that
    LocaleMiddleware (above it) chose, in the region the browser's Accept-Language names."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        accept = request.headers.get("Accept-Language", "")
        with locales.activated(locales.locale_for(accept, translation.get_language())):
            return self.get_response(request)


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


class DeferredAuditMiddleware:
    """Write the access-audit rows a view recorded (request.audit_rows) after its response.

    The server closes a response once the client has it; the rows are written then, in one
    short transaction retried while the database is busy (services.audit_rows_write), so
    an agent's page never waits for another writer's lock and no row is dropped. First in
    MIDDLEWARE: no other middleware can then swap the response for one never closed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.audit_rows = rows = []
        response = self.get_response(request)
        if rows:
            # Django's hook for work at close(): WSGI servers call it after sending the body.
            response._resource_closers.append(partial(services.audit_rows_write, rows=rows))
        return response
