"""Middleware for the agent console: the agent's time zone and formats, who may frame the
console, access-audit rows written after the response, and the timeline refresh that finds
nothing new."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from orders import selectors, services
from orders.console import locales, views
from orders.console.presenters import TZ_COOKIE, agent_time_zone
from orders.rules.ids import ID_RE


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


class UnchangedTimelineMiddleware:
    """Answer an order page's timeline refresh that finds nothing new (204) as soon as the
    session is loaded, before the rest of the browser middleware and URL routing.

    Every open order page asks every 30 s, and almost always nothing changed: the 204 shows
    nothing, so it needs no language, time zone, formats, messages or CSP, yet it paid for
    all of them. It is the view's own answer (views.unchanged_timeline, with agent_view's
    no-cache and Vary headers), given only to a signed-in user holding the agents'
    permission, the session, user and permissions read as for every request (nothing kept
    beyond it). Anything else (signed out, no permission, no such order, a new version, not
    a refresh) goes on to the view, which decides as always.

    Sits right below SessionMiddleware, the one thing it needs; AuthenticationMiddleware
    reuses the user it loaded. The middleware above it still runs (request id and access
    log, security headers, the session's Vary: Cookie); what the skipped ones would add to a
    204 (Content-Language, Vary: Accept-Language, the CSP header, Content-Length: 0) says
    nothing about an empty answer that is never cached. CSRF checks no GET.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.META.get("HTTP_HX_REQUEST") == "true":
            response = self.unchanged(request)
            if response is not None:
                return response
        return self.get_response(request)

    def unchanged(self, request: HttpRequest) -> HttpResponse | None:
        if "v" not in request.GET and "HTTP_IF_NONE_MATCH" not in request.META:
            return None  # not the timeline's refresh
        ids = order_page_ids(settings.ROOT_URLCONF, request.path_info)
        if ids is None:
            return None
        customer_id, order_id = ids
        request.get_host()  # the Host check CommonMiddleware makes (DisallowedHost: 400)
        user = get_user(request)
        if not (user.is_authenticated and user.has_perms((views.AGENT_PERMISSION,))):
            return None
        stamp = selectors.console_order_stamp(customer_id=customer_id, order_id=order_id)
        response = views.unchanged_timeline(request, stamp) if stamp is not None else None
        if response is not None:
            patch_vary_headers(response, ("HX-Request",))
            add_never_cache_headers(response)
        return response


@lru_cache(maxsize=4096)
def order_page_ids(urlconf: str, path: str) -> tuple[str, str] | None:
    """The customer and order ids of an order page's path (valid ids only), else None.

    Remembered per path: the routes do not change while the app runs, each open page asks
    for its own path again and again, and resolving walks every route before the console's.
    """
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    if match.view_name != "orders:order":
        return None
    customer_id, order_id = match.kwargs["customer_id"], match.kwargs["order_id"]
    if not (ID_RE.match(customer_id) and ID_RE.match(order_id)):
        return None
    return customer_id, order_id
