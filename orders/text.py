"""Text folding shared by customer search: case- and accent-insensitive comparisons."""

from __future__ import annotations

import unicodedata

import phonenumbers


def fold(value: str) -> str:
    """'  José  ÁLVARES ' -> 'jose alvares': no accents, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def to_e164(value: str, *, region: str) -> str | None:
    """A phone number typed in any common format as E.164, or None when it is not one.

    National formats ("910 000 000", "07700 900123") are read in `region` (ISO 3166-1
    alpha-2, e.g. settings.ERCDASH_DEFAULT_PHONE_REGION); "+" and "00" prefixes need none.
    """

    text = (value or "").strip()
    if not text or len(text) > 64:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
