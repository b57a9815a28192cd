"""Rate settings: "600/min" or "100/10s" strings; ercdash/settings.py checks them at start-up."""

from __future__ import annotations

import functools
import re

from django.core.exceptions import ImproperlyConfigured

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
