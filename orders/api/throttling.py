"""Rate limits: fixed-window counters in the shared cache (Redis), the per-client throttle of
the API, and the limiter of the OAuth endpoints (rate_limited)."""

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
from orders.api.oauth import authenticated_client, oauth_error
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


def window_full(name: str, rate: tuple[int, int], now: float) -> int | None:
    """Like over_limit, without counting this request: for counters others fill."""
    limit, period = rate
    window = int(now // period)
    try:
        count = cache.get(f"{name}:{period}:{window}")
    except Exception:
        logger.warning("Rate limiting skipped: the cache is unavailable", exc_info=True)
        return None
    if count is None or count < limit:
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


def client_over_limit(client: ApiClient) -> int | None:
    """Count one request of the client (ERCDASH_RATE_LIMIT): seconds to wait if over, else None."""
    rate = parse_rate(settings.ERCDASH_RATE_LIMIT)
    if rate is None:
        return None
    return over_limit(f"throttle:{client.client_id}", rate, clock())


class ClientRateThrottle(BaseThrottle):
    """A fixed-window counter per OAuth client: one cache round trip per request.

    DRF's SimpleRateThrottle keys client-credentials calls on the IP (they have no user) and
    rewrites a list of timestamps on every request. Here the key is the client id
    (orders.api.throttling.over_limit), so all app servers count into the same Redis key.
    """

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            return True  # unauthenticated requests fail on auth before they get here
        self.retry_after = client_over_limit(client)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


def rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The limits of /oauth/token, /oauth/revoke and /oauth/introspect.

    Two counters, neither of which anybody but the client itself can fill:

    - ERCDASH_TOKEN_RATE_LIMIT counts a client's *successful* requests, per endpoint
      (introspecting often must not cost a client its new tokens). Only the holder of the
      secret adds to it, so the check may come first and spare DOT the secret's hash.
    - ERCDASH_TOKEN_FAILURE_LIMIT counts *failed* client authentications, shared by the three
      endpoints, per client id named and per address. Once either is over, failures are
      answered 429 instead of 401. A request is never refused before its secret is checked
      on failures' account: whoever knows a client id could otherwise lock the real client
      out, and its secret (hundreds of random bits, api/hashers.py) is beyond guessing anyway.
    """

    @functools.wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        now = clock()
        endpoint = request.path_info.rstrip("/")
        named = _named_clients(request)
        rate = parse_rate(settings.ERCDASH_TOKEN_RATE_LIMIT, "ERCDASH_TOKEN_RATE_LIMIT")
        if rate is not None:
            retry_after = max(
                (
                    window_full(f"oauth:ok:{endpoint}:{_digest(client_id)}", rate, now) or 0
                    for client_id in named
                ),
                default=0,
            )
            if retry_after:
                return _rate_limited_response(retry_after)
        marker = authenticated_client.set(None)
        try:
            response = view(request, *args, **kwargs)
            client_id = authenticated_client.get()
        finally:
            authenticated_client.reset(marker)
        if client_id is not None:
            if rate is not None:
                over_limit(f"oauth:ok:{endpoint}:{_digest(client_id)}", rate, now)
        elif response.status_code == 401:
            retry_after = _count_failure(named, client_ip(request), now)
            if retry_after:
                return _rate_limited_response(retry_after)
        return response

    return limited


def _count_failure(named: set[str], address: str | None, now: float) -> int:
    """Count a failed client authentication; seconds to wait if a counter is over, else 0."""
    rate = parse_rate(settings.ERCDASH_TOKEN_FAILURE_LIMIT, "ERCDASH_TOKEN_FAILURE_LIMIT")
    if rate is None:
        return 0
    requesters = [f"client:{client_id}" for client_id in named] + [f"address:{address}"]
    retry_after = max(
        over_limit(f"oauth:failed:{_digest(requester)}", rate, now) or 0 for requester in requesters
    )
    if retry_after:
        logger.warning(
            "Token endpoint: failed client authentications over the limit",
            extra={"client_id": ",".join(sorted(named)) or None},
        )
    return retry_after


def _named_clients(request: HttpRequest) -> set[str]:
    """Every client id the request names: DOT tries the Basic credentials, then the form's."""
    return {
        client_id
        for client_id in (_basic_client_id(request), request.POST.get("client_id"))
        if client_id
    }


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
    response = oauth_error(
        429,
        "rate_limited",
        "Too many requests for this client; retry after the delay given in Retry-After.",
    )
    response["Retry-After"] = str(retry_after)
    return response
