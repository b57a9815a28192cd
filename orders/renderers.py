"""JSON in and out with exact money: Decimal amounts are written as JSON numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer


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


class ErcJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)


class ErcJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        import json

        try:
            return json.loads(stream.read().decode("utf-8"), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError("The request body is not valid JSON.") from exc
