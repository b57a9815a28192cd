"""Text: folding for customer search (case- and accent-insensitive), and free-text checks."""

from __future__ import annotations

import unicodedata

from orders.rules import cards


def fold(value: str) -> str:
    """'  José  ÁLVARES ' -> 'jose alvares': no accents, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def free_text_problem(value: object, *, max_length: int) -> str:
    """Why a value is not acceptable free text (a string without NUL characters or a full
    card number, at most max_length characters), or "" when it is."""
    if not isinstance(value, str):
        return "Must be a string."
    if "\x00" in value:
        return "Must not contain NUL characters."
    if len(value) > max_length:
        return f"Must be at most {max_length} characters."
    if cards.contains_full_card_number(value):
        return cards.PAN_DESCRIPTION
    return ""
