"""DRF's JSON in and out, through the exact-money codec of the order documents."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from orders.documents.codec import dumps, loads


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
        try:
            return loads(stream.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError("The request body is not valid JSON.") from exc
