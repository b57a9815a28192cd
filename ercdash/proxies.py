"""The client's address behind trusted proxies (ERCDASH_PROXY_COUNT): for login lockout and
the token endpoint's limiter alike."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("ercdash.proxies")


def client_ip(request: HttpRequest) -> str | None:
    """The address the outermost trusted proxy saw; the socket address without proxies."""
    count = settings.ERCDASH_PROXY_COUNT
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    # Each trusted proxy appends one entry; anything left of those came from the client
    # and may be forged, so count from the right.
    if count > 0 and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


class ProxyCountWarningMiddleware:
    """Warn once per process when requests come through a proxy that ERCDASH_PROXY_COUNT=0
    does not count.

    Every client then seems to come from the proxy's address: one person's failed sign-ins
    lock everybody out, and the token endpoints count everybody's failures together. The
    first proxied request is the earliest moment this can be seen. Not installed at all when
    a proxy count is set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if settings.ERCDASH_PROXY_COUNT > 0:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.warned = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.warned and "HTTP_X_FORWARDED_FOR" in request.META:
            self.warned = True
            logger.warning(
                "Requests carry X-Forwarded-For but ERCDASH_PROXY_COUNT is 0, so every client "
                "seems to come from the proxy's address (%s): sign-in lockouts and the token "
                "endpoints' failure limits then apply to everybody behind it. Set "
                "ERCDASH_PROXY_COUNT to the number of proxies that append to X-Forwarded-For.",
                request.META.get("REMOTE_ADDR", "?"),
            )
        return self.get_response(request)
