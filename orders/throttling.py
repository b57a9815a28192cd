"""Rate limits per OAuth client on the API, shared by every app server through the cache."""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from orders.auth import ApiClient
from orders.ratelimit import over_limit, parse_rate


class ClientRateThrottle(BaseThrottle):
    """A fixed-window counter per OAuth client: one cache round trip per request.

    DRF's SimpleRateThrottle keys client-credentials calls on the IP (they have no user) and
    rewrites a list of timestamps on every request. Here the key is the client id
    (orders.ratelimit.over_limit), so all app servers count into the same Redis key.
    """

    clock = staticmethod(time.time)

    def __init__(self) -> None:
        self.rate = parse_rate(settings.ERCDASH_RATE_LIMIT)
        self.retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        client = request.user
        if self.rate is None or not isinstance(client, ApiClient):
            return True  # unauthenticated requests fail on auth before they get here
        self.retry_after = over_limit(f"throttle:{client.client_id}", self.rate, self.clock())
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
