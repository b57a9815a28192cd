"""The client's address behind trusted proxies (ERCDASH_PROXY_COUNT): for login lockout and
the token endpoint's limiter alike."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


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
