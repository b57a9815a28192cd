"""Custom fields: the source system's own key/value pairs on an order or a customer.

Flat: each value is text, a number or true/false (the console shows them as a key/value
list; nested data would not fit it). Keys and text are free text, so the card-number rule
applies to both. Messages never repeat a key or a value: either may hold a card number.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from orders.rules import cards

MAX_FIELDS = 50
MAX_KEY = 64
MAX_TEXT = 500
# The whole object, as served (JSON, UTF-8): keeps every order body small.
MAX_BYTES = 8192
# A number keeps at most 15 significant digits: written as the shortest float repr, it reads
# back as the same number (the money amounts follow the same rule).
MAX_DIGITS = 15
VALUE_DESCRIPTION = "Must be text, a number or true/false (nested objects and lists are not kept)."

Problem = tuple[str, str]  # (key, or "" for the whole object; description)


def _control(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def _value(value: Any) -> tuple[str | int | float | bool | None, str]:
    """The value as stored and "", or None and why not."""
    if value is None:
        return None, "Must not be null: leave the field out instead."
    if isinstance(value, bool):
        return value, ""
    if isinstance(value, str):
        if "\x00" in value:
            return None, "Must not contain NUL characters."
        if len(value) > MAX_TEXT:
            return None, f"Must be at most {MAX_TEXT} characters."
        if cards.contains_full_card_number(value):
            return None, cards.PAN_DESCRIPTION
        return value, ""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None, "Must be a finite number."
        if len(value.normalize().as_tuple().digits) > MAX_DIGITS:
            return None, f"Must have at most {MAX_DIGITS} significant digits."
        if value == value.to_integral_value():
            return int(value), ""
        return float(value), ""
    return None, VALUE_DESCRIPTION


def check(raw: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The custom fields as stored (keys in code-point order) and every problem found."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [("", "Must be a JSON object of key/value pairs.")]
    problems: list[Problem] = []
    if len(raw) > MAX_FIELDS:
        problems.append(("", f"Must have at most {MAX_FIELDS} fields."))
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            problems.append(("", "Keys must be strings."))
            continue
        if cards.contains_full_card_number(key):
            problems.append(("<redacted>", cards.PAN_DESCRIPTION))
            continue
        if not key.strip() or len(key) > MAX_KEY or _control(key):
            # The key is not repeated: it may be anything, of any length.
            problems.append(("", f"Keys must be 1-{MAX_KEY} characters, no control characters."))
            continue
        stored, problem = _value(value)
        if problem:
            problems.append((key, problem))
        else:
            fields[key] = stored
    fields = dict(sorted(fields.items()))
    if not problems and len(encoded(fields)) > MAX_BYTES:
        problems.append(("", f"Must be at most {MAX_BYTES} bytes as JSON."))
    return fields, problems


def encoded(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def validate(raw: Any) -> dict[str, Any]:
    """The custom fields as stored, or ValidationError listing every problem by key."""
    fields, problems = check(raw)
    if problems:
        raise ValidationError(
            [f"{key}: {description}" if key else description for key, description in problems],
            code="invalid_custom_fields",
        )
    return fields
