"""Rate limits per OAuth client, shared by every app server through the cache (Redis)."""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from orders.auth import ApiClient
from orders.ratelimit import parse_rate

logger = logging.getLogger("ercdash.throttling")


class ClientRateThrottle(BaseThrottle):
    """A fixed-window counter per OAuth client: one cache round trip per request.

    DRF's SimpleRateThrottle keys client-credentials calls on the IP (they have no user) and
    rewrites a list of timestamps on every request. Here the key is the client id and the
    window index, so all app servers count into the same Redis key, and `incr` is atomic.
    When the cache is down the request is let through: a limiter must not become an outage.
    """

    clock = staticmethod(time.time)

    def __init__(self) -> None:
        self.rate = parse_rate(settings.ERCDASH_RATE_LIMIT)
        self.retry_after: float | None = None

    def allow_request(self, request, view) -> bool:
        client = request.user
        if self.rate is None or not isinstance(client, ApiClient):
            return True  # unauthenticated requests fail on auth before they get here
        limit, period = self.rate
        now = self.clock()
        window = int(now // period)
        key = f"throttle:{client.client_id}:{period}:{window}"
        try:
            count = self._hit(key, period)
        except Exception:
            logger.warning("Rate limiting skipped: the cache is unavailable", exc_info=True)
            return True
        if count is None or count <= limit:
            return True
        self.retry_after = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        return None if self.retry_after is None else max(1, math.ceil(self.retry_after))

    @staticmethod
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
