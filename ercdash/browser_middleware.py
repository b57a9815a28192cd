"""Middleware for people (console, admin, login), skipped by the token API.

Each name wraps the middleware of the same name with orders.middleware.browser_only; the
settings list these instead of the originals. See browser_only for why. CSRF,
X-Frame-Options and django-axes stay as they are: they cost little on API requests and the
system checks look for them by name.
"""

from csp.middleware import CSPMiddleware as _CSP
from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Message
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django.middleware.locale import LocaleMiddleware as _Locale
from django_htmx.middleware import HtmxMiddleware as _Htmx

from orders.middleware import (
    AgentTimeZoneMiddleware as _AgentTimeZone,
)
from orders.middleware import (
    ConsoleFrameMiddleware as _ConsoleFrame,
)
from orders.middleware import (
    browser_only,
)

SessionMiddleware = browser_only(_Session)
LocaleMiddleware = browser_only(_Locale)
AgentTimeZoneMiddleware = browser_only(_AgentTimeZone)
AuthenticationMiddleware = browser_only(_Authentication)
MessageMiddleware = browser_only(_Message)
HtmxMiddleware = browser_only(_Htmx)
CSPMiddleware = browser_only(_CSP)
ConsoleFrameMiddleware = browser_only(_ConsoleFrame)
