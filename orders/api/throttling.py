"""Rate limits: "600/min" strings, fixed-window counters in the shared cache (Redis), and
the per-client throttle of the API. The token endpoint's limiter (api.oauth) counts here too.

"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.throttling import BaseThrottle

from ercdash.proxies import client_ip
from orders.api.auth import ApiClient
from orders.rules.rates import parse_rate

logger = logging.getLogger("ercdash.ratelimit")
clock = time.time  # patched by tests


def over_limit(name: str, rate: tuple[int, int], now: float) -> int | None:
    """Count one request in name's current window: seconds until it reopens if over, else None.

    The key is the name and the window index, so all app servers count into the same Redis
    key with one atomic `incr`. When the cache is down the request is let through: a
    limiter must not become an outage.
    """
    limit, period = rate
    window = int(now // period)
    try:
        count = _hit(f"{name}:{period}:{window}", period)
    except Exception:
        logger.warning("Rate limiting skipped: the cache is unavailable", exc_info=True)
        return None
    if count is None or count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def _hit(key: str, period: int) -> int | None:
    """The window's count after this request; None when the cache swallowed an error."""
    try:
        return cache.incr(key)
    except ValueError:
        pass  # first request of the window
    # Two servers may race to open the window: `add` lets exactly one of them win.
    if cache.add(key, 1, timeout=period + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        return None  # the key vanished (cache down or evicted): let the request through


class ClientRateThrottle(BaseThrottle):
    """A fixed-window counter per OAuth client: one cache round trip per request.

    DRF's SimpleRateThrottle keys client-credentials calls on the IP (they have no user) and
    rewrites a list of timestamps on every request. Here the key is the client id
    (orders.api.throttling.over_limit), so all app servers count into the same Redis key.
    """

    def __init__(self) -> None:
        self.rate = parse_rate(settings.ERCDASH_RATE_LIMIT)
        self.retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        client = request.user
        if self.rate is None or not isinstance(client, ApiClient):
            return True  # unauthenticated requests fail on auth before they get here
        self.retry_after = over_limit(f"throttle:{client.client_id}", self.rate, clock())
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


def rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 429 to a client over ERCDASH_TOKEN_RATE_LIMIT before DOT checks its secret.

    Each request naming a client costs a hash of the secret it sends, so without a limit
    these endpoints invite guessing and burn CPU. Every client the request names is counted
    (DOT tries the Basic credentials, then the form's), so naming a second, made-up client
    opens no fresh window; a request naming none counts against its address. Each endpoint
    has its own window: introspecting often must not lock a client out of new tokens.
    """

    @functools.wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        rate = parse_rate(settings.ERCDASH_TOKEN_RATE_LIMIT, "ERCDASH_TOKEN_RATE_LIMIT")
        if rate is not None:
            now = clock()
            endpoint = request.path_info.rstrip("/")
            retry_after = max(
                over_limit(f"oauth:{endpoint}:{_digest(requester)}", rate, now) or 0
                for requester in _requesters(request)
            )
            if retry_after:
                return _rate_limited_response(retry_after)
        return view(request, *args, **kwargs)

    return limited


def _requesters(request: HttpRequest) -> set[str]:
    named = {_basic_client_id(request), request.POST.get("client_id"), request.GET.get("client_id")}
    clients = {f"client:{client_id}" for client_id in named if client_id}
    return clients or {f"address:{client_ip(request)}"}


def _basic_client_id(request: HttpRequest) -> str | None:
    """The client id in HTTP Basic credentials, decoded the way DOT decodes it."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme != "Basic":
        return None
    try:
        decoded = base64.b64decode(credentials).decode(request.encoding or settings.DEFAULT_CHARSET)
    except ValueError:  # not base64, or not text
        return None
    client_id, colon, _ = decoded.partition(":")
    return unquote_plus(client_id) if colon else None


def _digest(requester: str) -> str:
    # Client ids are whatever the request claims: a digest makes any of them a short, safe key.
    return hashlib.sha256(requester.encode()).hexdigest()[:32]


def _rate_limited_response(retry_after: int) -> JsonResponse:
    # RFC 6749's error shape, as every other answer of the token endpoint.
    response = JsonResponse(
        {
            "error": "rate_limited",
            "error_description": "Too many requests for this client; retry after the delay "
            "given in Retry-After.",
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
