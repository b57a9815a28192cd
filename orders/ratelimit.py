"""Rate limits: "600/min" strings and fixed-window counters in the shared cache (Redis).

Nothing here reads settings at import time, so ercdash/settings.py can use parse_rate.
"""

from __future__ import annotations

import functools
import logging
import math
import re

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("ercdash.ratelimit")

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=16)
def parse_rate(rate: str, setting: str = "ERCDASH_RATE_LIMIT") -> tuple[int, int] | None:
    """Parse "600/min" -> (600, 60), "100/10s" -> (100, 10); "off" or "" -> None (no limit)."""
    if rate.strip().lower() in {"", "off", "none", "0"}:
        return None
    match = _RATE_RE.match(rate.lower())
    if not match:
        raise ImproperlyConfigured(
            f"{setting}={rate!r}: use <requests>/<period>, e.g. 600/min or 50/10s."
        )
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIOD_SECONDS[unit[0]]


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
