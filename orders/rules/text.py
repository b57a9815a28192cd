"""Text folding shared by customer search: case- and accent-insensitive comparisons."""

from __future__ import annotations

import unicodedata


def fold(value: str) -> str:
    """'  José  ÁLVARES ' -> 'jose alvares': no accents, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())
