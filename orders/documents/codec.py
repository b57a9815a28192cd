"""JSON with exact money: Decimal amounts are written as JSON numbers, read back as Decimal."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Integral amounts as ints (1000 JPY -> 1000). Others as float: amounts hold at most
        # 15 significant digits (models.MONEY), which a double's shortest repr keeps exactly,
        # so 10.50 -> 10.5 with no binary noise.
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    raise TypeError


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default)


def loads(text: str | bytes) -> Any:
    """Parse JSON with every non-integral number as a Decimal; ValueError when malformed."""
    return json.loads(text, parse_float=Decimal)
