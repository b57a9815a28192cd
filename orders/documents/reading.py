"""Reading input files: a JSON array, one JSON object or JSON Lines into numbered records."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any


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


# One order document is never this big: a file that starts like one pretty-printed object but
# is bigger is read as JSON Lines without trying it whole first.
ONE_OBJECT_MAX_BYTES = 64 * 2**20
_CHUNK = 2**20


def read(stream: IO[bytes]) -> Iterator[RawRecord]:
    """The records of a seekable binary file, as parse() finds them, read as they are needed.

    What makes the whole input unreadable is found before the first record is returned
    (FileNotJson: bytes that are not UTF-8, a broken JSON array), so that nothing is imported
    from such a file. A JSON Lines file is then read one line at a time: memory stays flat
    however long it is. A JSON array or one pretty-printed object is read whole, like parse().
    """
    _check_utf8(stream)
    start = stream.read(_CHUNK).decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    stream.seek(0)
    if start.startswith("["):
        return iter(parse(stream.read()))
    if start.startswith("{"):
        first = stream.readline()
        if not _is_json(first.decode("utf-8-sig").lstrip("\ufeff")):
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(0)
            if size <= ONE_OBJECT_MAX_BYTES:
                return iter(parse(stream.read()))
        stream.seek(0)
    return _json_lines(stream)


def _check_utf8(stream: IO[bytes]) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while chunk := stream.read(_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise FileNotJson(f"The input is not UTF-8 text (byte {offset + exc.start}).") from exc
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileNotJson(f"The input is not UTF-8 text (byte {offset + exc.start}).") from exc
    stream.seek(0)


def _is_json(text: str) -> bool:
    try:
        _loads(text)
    except ValueError:
        return False
    return True


def _json_lines(stream: IO[bytes]) -> Iterator[RawRecord]:
    """parse()'s JSON Lines branch, a line at a time: the same records, numbered the same."""
    position = 0
    for number, raw in enumerate(stream):
        text = raw.decode("utf-8-sig").lstrip("\ufeff") if number == 0 else raw.decode()
        # str.splitlines() also breaks at \r, \x0b, \u2028 and others, as parse() does.
        for line in text.splitlines():
            if not line.strip():
                continue  # blank lines are not records
            position += 1
            try:
                yield RawRecord(position, _loads(line))
            except ValueError as exc:
                yield RawRecord(position, error=f"Not valid JSON: {_describe(exc)}.")
