"""Middleware for people (console, admin, login), skipped by the token API.

Each name wraps the middleware of the same name with browser_only; the
settings list these instead of the originals. See browser_only for why. Machine-to-machine
webhooks (/integrations/) are stateless too and skip it the same way. CSRF,
X-Frame-Options and django-axes stay as they are: they cost little on API requests and the
system checks look for them by name.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware as _CSP
from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Message
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as _Locale
from django_htmx.middleware import HtmxMiddleware as _Htmx

from orders.api.middleware import is_api_path
from orders.console.middleware import AgentFormatsMiddleware as _AgentFormats
from orders.console.middleware import AgentTimeZoneMiddleware as _AgentTimeZone
from orders.console.middleware import ConsoleFrameMiddleware as _ConsoleFrame

# Signed webhooks from platforms (Shopify): no sessions, cookies or CSRF either.
WEBHOOK_PREFIX = "/integrations/"


def is_stateless_path(path: str) -> bool:
    return is_api_path(path) or path.startswith(WEBHOOK_PREFIX)


def browser_only(middleware_class: type) -> type:
    """Subclass a middleware that serves people (sessions, CSRF, messages, CSP, login
    lockout…) so that requests to the stateless token API pass straight through it.

    The API authenticates every call with a bearer token and never uses sessions, cookies,
    CSRF, messages or templates; skipping that work is the biggest saving on its hot path.
    A subclass keeps Django's system checks (which look for these classes) satisfied.
    """

    class BrowserOnly(middleware_class):
        def __call__(self, request: HttpRequest) -> HttpResponse:
            if is_stateless_path(request.path_info):
                return self.get_response(request)
            return super().__call__(request)

        if hasattr(middleware_class, "process_view"):

            def process_view(self, request, view_func, view_args, view_kwargs):
                if is_stateless_path(request.path_info):
                    return None
                return super().process_view(request, view_func, view_args, view_kwargs)

        if hasattr(middleware_class, "process_exception"):

            def process_exception(self, request, exception):
                if is_stateless_path(request.path_info):
                    return None
                return super().process_exception(request, exception)

    BrowserOnly.__name__ = BrowserOnly.__qualname__ = middleware_class.__name__
    return BrowserOnly


SessionMiddleware = browser_only(_Session)
LocaleMiddleware = browser_only(_Locale)
AgentTimeZoneMiddleware = browser_only(_AgentTimeZone)
AgentFormatsMiddleware = browser_only(_AgentFormats)
AuthenticationMiddleware = browser_only(_Authentication)
MessageMiddleware = browser_only(_Message)
HtmxMiddleware = browser_only(_Htmx)
CSPMiddleware = browser_only(_CSP)
ConsoleFrameMiddleware = browser_only(_ConsoleFrame)
