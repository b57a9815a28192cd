"""Reading input files: a JSON array, one JSON object or JSON Lines into numbered records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class RawRecord:
    """One record of an input file: its 1-based position and the decoded value or why not."""

    position: int
    value: Any = None
    error: str = ""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def _describe(exc: ValueError) -> str:
    # JSONDecodeError.msg/lineno/colno never contain the document's text.
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return str(exc)


class FileNotJson(Exception):
    """The whole input is unreadable (a broken JSON array, or not UTF-8)."""


def parse(data: bytes | str) -> list[RawRecord]:
    """Decode a JSON array, a single JSON object or JSON Lines into numbered records."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileNotJson(f"The input is not UTF-8 text (byte {exc.start}).") from exc
    text = data.lstrip("\ufeff")
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            values = _loads(stripped)
        except ValueError as exc:
            raise FileNotJson(
                f"The input starts like a JSON array but is not valid JSON: {_describe(exc)}."
            ) from exc
        return [RawRecord(position, value) for position, value in enumerate(values, 1)]
    if stripped.startswith("{") and "\n" in stripped:
        # One pretty-printed object is a file of one record.
        try:
            return [RawRecord(1, _loads(stripped))]
        except ValueError:
            pass
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue  # blank lines are not records
        position = len(records) + 1
        try:
            records.append(RawRecord(position, _loads(line)))
        except ValueError as exc:
            records.append(RawRecord(position, error=f"Not valid JSON: {_describe(exc)}."))
    return records
